"""The inference contenders: `cai-bridge infer` and quicktype (JSON Schema out) on the
same CAI-shaped samples, as one JSON document and as NDJSON. quicktype reads no NDJSON,
so for that row it gets the JSON document of the same records."""

import os

import measure
import samples


class InferBench:
    """`results[(tool, format, megabytes)]` is a list of measure.Run, one a round."""

    def __init__(self, paths, work, sizes):
        self.paths, self.work, self.sizes = paths, work, sizes
        self.files = {}
        self.results = {}

    def prepare(self):
        for mb in self.sizes:
            nd = os.path.join(self.work, f"samples-{mb}mb.ndjson")
            doc = os.path.join(self.work, f"samples-{mb}mb.json")
            count = samples.write(nd, doc, mb)
            self.files[mb] = {"ndjson": nd, "json": doc, "records": count}

    def round(self, index):
        jobs = []
        for mb in self.sizes:
            for fmt in ("json", "ndjson"):
                jobs.append(("ours", fmt, mb))
            jobs.append(("quicktype", "json", mb))
        if index % 2:
            jobs.reverse()
        for tool, fmt, mb in jobs:
            path = self.files[mb][fmt]
            if tool == "ours":
                cmd = [self.paths["cli"], "infer", path]
            else:
                cmd = ["node", "--max-old-space-size=8192", self.paths["quicktype"], "--lang", "schema",
                       "--src-lang", "json", "--top-level", "Conversations", path]
            self.results.setdefault((tool, fmt, mb), []).append(measure.run(cmd, what=f"{tool} infer"))

"""dlt's way of the same sync, for the benchmark: a ``dlt`` resource over the CAI Logs
v2 API (OAuth2 client credentials plus ``X-Token``, day windows, halved when an answer
holds the cap) loaded into SQLite through dlt's ``sqlalchemy`` destination, merging on
the conversation id. dlt infers the schema itself and unnests messages, intents and
entities into child tables, as our bridge does.

    CAI_BASE_URL=… CAI_TOKEN_URL=… CAI_CLIENT_ID=… CAI_CLIENT_SECRET=… CAI_DEVELOPER_TOKEN=… \\
    python dlt_pipeline.py --db dlt.db --work DIR --from 2026-01-01 --to 2026-01-31

Prints one JSON line: the rows dlt loaded per table.
"""

import argparse
import datetime
import json
import os
import sys

import dlt
import requests
from seed_extractor import config_from_env, day, fetch, get_token


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--work", required=True, help="dlt's pipelines folder")
    parser.add_argument("--from", dest="start", required=True, type=day)
    parser.add_argument("--to", dest="end", required=True, type=day)
    args = parser.parse_args()
    config = config_from_env()

    @dlt.resource(name="conversations", primary_key="id", write_disposition="merge")
    def conversations():
        token = get_token(config)
        session = requests.Session()
        start = args.start
        while start < args.end:
            end = min(start + datetime.timedelta(days=1), args.end)
            yield fetch(session, config, token, start, end)
            start = end

    pipeline = dlt.pipeline(
        pipeline_name="cai_bench",
        pipelines_dir=args.work,
        destination=dlt.destinations.sqlalchemy(credentials="sqlite:///" + os.path.abspath(args.db)),
        dataset_name="main",
    )
    info = pipeline.run(conversations())
    if info.has_failed_jobs:
        sys.exit("dlt_pipeline: failed jobs: " + str(info))
    counts = pipeline.last_trace.last_normalize_info.row_counts
    print(json.dumps({k: v for k, v in counts.items() if not k.startswith("_dlt")}))


if __name__ == "__main__":
    main()

"""CAI-shaped sample files for the inference benchmark: the same records as NDJSON
(one conversation a line) and as one JSON document (an array of them)."""

import json


def records():
    """Conversations without end: ids, timestamps, nulls, child arrays and the
    embedded JSON strings (`input_message_content`, `replies`) CAI sends."""
    i = 0
    while True:
        yield {
            "id": "%08x-b897-49a0-9081-%012x" % (i, i),
            "start_at": "2021-02-05T17:45:%02d.044Z" % (i % 60),
            "channel_id": None if i % 7 == 0 else "web-%d" % (i % 13),
            "messages": [
                {
                    "message_id": "%08x-0000-4000-8000-%012x" % (i, j),
                    "received_at": "2021-02-05T17:46:00.000Z",
                    "input_message_content": json.dumps({"content": "hello %d" % j, "type": "text"}),
                    "replies": json.dumps([{"type": "text", "content": "Hi \u00fcn\u00efc\u00f6d\u00e9 %d" % j}]),
                    "nlp_status": 200,
                    "intents": [{"slug": "greet", "confidence": 0.9}],
                    "entities": [],
                }
                for j in range(i % 4)
            ],
        }
        i += 1


def write(ndjson_path, json_path, megabytes):
    """Writes about `megabytes` MB of records to both files; returns the record count."""
    limit = megabytes * 1_000_000
    size = count = 0
    with open(ndjson_path, "w") as nd, open(json_path, "w") as doc:
        doc.write("[")
        for record in records():
            line = json.dumps(record)
            nd.write(line + "\n")
            doc.write(("," if count else "") + line)
            size += len(line) + 1
            count += 1
            if size >= limit:
                break
        doc.write("]")
    return count

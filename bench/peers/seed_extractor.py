"""The seeds' extractor, written out faithfully for the benchmark.

The hand-built bridge of the seeds (shared/seeds: "Let's build a bridge on SAP BTP")
is a Python script that reads the CAI API with the client id, secret and developer
token from its config, builds its table structure by hand and inserts every item with
its own ``execute`` into SQLite for CAP to pick up. This is that script made complete
for Conversation Logs v2, in the same style: ``requests`` for OAuth2 client
credentials and the log calls (``Authorization: Bearer`` plus ``X-Token``), day
windows, ``json`` via requests, ``sqlite3`` with one ``execute`` per row, four tables
keyed by the natural keys (conversation id, message id, and the position of an intent
in its message, or an entity's name and position), one commit per window. Like the seeds it does not parse the
``replies`` JSON, so it writes no replies table.

    CAI_BASE_URL=… CAI_TOKEN_URL=… CAI_CLIENT_ID=… CAI_CLIENT_SECRET=… CAI_DEVELOPER_TOKEN=… \\
    python seed_extractor.py --db cai-items.db --from 2026-01-01 --to 2026-01-31

Prints one JSON line: conversations, messages and rows written.
"""

import argparse
import datetime
import json
import os
import sqlite3
import sys

import requests
from requests.auth import HTTPBasicAuth

PAGE_CAP = 1000

TABLES = """
CREATE TABLE IF NOT EXISTS Conversations (
  ID TEXT PRIMARY KEY, START_AT TEXT, CHANNEL_ID TEXT, CHANNEL_TYPE TEXT);
CREATE TABLE IF NOT EXISTS Messages (
  CONVERSATION_ID TEXT, MESSAGE_ID TEXT, CONNECTOR_ORIGIN TEXT, CONNECTOR_SENDER_ID TEXT,
  CONVERSATION_SKILL TEXT, INPUT_MESSAGE_TYPE TEXT, INPUT_MESSAGE_CONTENT TEXT, REPLIES TEXT,
  RECEIVED_AT TEXT, NLP_SENTIMENT TEXT, NLP_ACT TEXT, NLP_STATUS INTEGER, NLP_TYPE TEXT,
  PRIMARY KEY (CONVERSATION_ID, MESSAGE_ID));
CREATE TABLE IF NOT EXISTS Intents (
  CONVERSATION_ID TEXT, MESSAGE_ID TEXT, POSITION INTEGER, SLUG TEXT, CONFIDENCE REAL,
  DESCRIPTION TEXT, PRIMARY KEY (CONVERSATION_ID, MESSAGE_ID, POSITION));
CREATE TABLE IF NOT EXISTS Entities (
  CONVERSATION_ID TEXT, MESSAGE_ID TEXT, NAME TEXT, POSITION INTEGER, RAW TEXT,
  CONFIDENCE REAL, DETAILS TEXT, PRIMARY KEY (CONVERSATION_ID, MESSAGE_ID, NAME, POSITION));
"""


def config_from_env():
    """The seeds' config properties (clientID, secret, request token, oauthURL,
    requestURL), from the environment the bridge reads too."""
    missing = [n for n in ("CAI_BASE_URL", "CAI_TOKEN_URL", "CAI_CLIENT_ID", "CAI_CLIENT_SECRET",
                           "CAI_DEVELOPER_TOKEN") if not os.environ.get(n)]
    if missing:
        sys.exit("set " + ", ".join(missing))
    return {
        "clientID": os.environ["CAI_CLIENT_ID"],
        "secret": os.environ["CAI_CLIENT_SECRET"],
        "requestToken": os.environ["CAI_DEVELOPER_TOKEN"],
        "oauthURL": os.environ["CAI_TOKEN_URL"],
        "requestURL": os.environ["CAI_BASE_URL"].rstrip("/") + "/logs/v2/conversations",
    }


def get_token(config):
    response = requests.post(
        config["oauthURL"],
        auth=HTTPBasicAuth(config["clientID"], config["secret"]),
        data={"grant_type": "client_credentials"},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["access_token"]


def fetch(session, config, token, start, end):
    """The conversations of [start, end): the API has no paging, so a full answer is
    split in halves until each part holds fewer than the cap."""
    response = session.get(
        config["requestURL"],
        params={"from": iso(start), "to": iso(end)},
        headers={"Authorization": "Bearer " + token, "X-Token": "Token " + config["requestToken"]},
        timeout=60,
    )
    response.raise_for_status()
    conversations = response.json()["results"]["conversations"]
    if len(conversations) >= PAGE_CAP and end - start > datetime.timedelta(seconds=1):
        middle = start + (end - start) / 2
        return fetch(session, config, token, start, middle) + fetch(session, config, token, middle, end)
    return conversations


def insert_into_db(con, conversations):
    cur = con.cursor()
    messages = rows = 0
    for conv in conversations:
        cur.execute(
            "INSERT OR REPLACE INTO Conversations VALUES (?,?,?,?)",
            [conv["id"], conv["start_at"], conv.get("channel_id"), conv.get("channel_type")],
        )
        rows += 1
        for msg in conv.get("messages") or []:
            cur.execute(
                "INSERT OR REPLACE INTO Messages VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [conv["id"], msg["message_id"], msg.get("connector_origin"), msg.get("connector_sender_id"),
                 msg.get("conversation_skill"), msg.get("input_message_type"), msg.get("input_message_content"),
                 msg.get("replies"), msg["received_at"], msg.get("nlp_sentiment"), msg.get("nlp_act"),
                 msg.get("nlp_status"), msg.get("nlp_type")],
            )
            messages += 1
            rows += 1
            for i, intent in enumerate(msg.get("intents") or []):
                cur.execute(
                    "INSERT OR REPLACE INTO Intents VALUES (?,?,?,?,?,?)",
                    [conv["id"], msg["message_id"], i, intent.get("slug"), intent.get("confidence"),
                     intent.get("description")],
                )
                rows += 1
            # NLP's entities: a map from the entity's name to its occurrences (CAI
            # prints an empty one as `[]`); each kind's own fields kept as JSON text.
            entities = msg.get("entities") or {}
            for name, items in (entities.items() if isinstance(entities, dict) else []):
                for i, entity in enumerate(items or []):
                    details = {k: v for k, v in entity.items() if k not in ("raw", "confidence")}
                    cur.execute(
                        "INSERT OR REPLACE INTO Entities VALUES (?,?,?,?,?,?,?)",
                        [conv["id"], msg["message_id"], name, i, stringify(entity.get("raw")),
                         entity.get("confidence"), json.dumps(details)],
                    )
                    rows += 1
    con.commit()
    return messages, rows


def stringify(value):
    return value if value is None or isinstance(value, str) else json.dumps(value)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def day(text):
    return datetime.datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=datetime.timezone.utc)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--from", dest="start", required=True, type=day)
    parser.add_argument("--to", dest="end", required=True, type=day)
    args = parser.parse_args()
    config = config_from_env()
    con = sqlite3.connect(args.db)
    con.executescript(TABLES)
    token = get_token(config)
    session = requests.Session()
    totals = {"conversations": 0, "messages": 0, "rows": 0}
    start = args.start
    while start < args.end:
        end = min(start + datetime.timedelta(days=1), args.end)
        conversations = fetch(session, config, token, start, end)
        messages, rows = insert_into_db(con, conversations)
        totals["conversations"] += len(conversations)
        totals["messages"] += messages
        totals["rows"] += rows
        start = end
    con.close()
    print(json.dumps(totals))


if __name__ == "__main__":
    main()

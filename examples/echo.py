#!/usr/bin/env python3
"""An echo bot: answers every message with what it said.

    wa-cloud dev --handler examples/echo.py              # try it in the terminal
    wa-cloud serve --handler examples/echo.py            # for real

Each event arrives on stdin as one JSON line; each line printed is a reply.
"""
import json
import sys

for line in sys.stdin:
    event = json.loads(line)
    if event["event"] != "message":
        continue
    if "text" in event:
        answer = "You said: " + event["text"]
    else:
        answer = "You sent a " + event["type"]
    # reply_to quotes the message, and names its sender as the recipient.
    print(json.dumps({"reply_to": event["id"], "text": answer}), flush=True)

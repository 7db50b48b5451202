#!/usr/bin/env python3
"""A bot with buttons and media.

- "menu" shows two reply buttons; tapping one (or typing its number in `wa-cloud dev`)
  answers with the button's title.
- An image or document is sent straight back, as a file: wa-cloud downloads what the user
  sent (its path is in media.file with --download-media, which `wa-cloud dev` turns on)
  and uploads what the bot names in "file".
- Anything else gets a hint.
"""
import json
import sys

for line in sys.stdin:
    event = json.loads(line)
    if event["event"] != "message":
        continue
    to = event["from"]
    media = event.get("media") or {}
    if event.get("text", "").strip().lower() == "menu":
        reply = {"to": to, "interactive": {"type": "button", "body": {"text": "What would you like?"},
                 "action": {"buttons": [
                     {"type": "reply", "reply": {"id": "tea", "title": "Tea"}},
                     {"type": "reply", "reply": {"id": "coffee", "title": "Coffee"}}]}}}
    elif "action" in event:
        reply = {"to": to, "text": "One " + event["action"]["title"].lower() + ", coming up."}
    elif media.get("file") and event["type"] in ("image", "document"):
        reply = {"to": to, event["type"]: {"file": media["file"], "caption": "Right back at you"}}
    else:
        reply = {"to": to, "text": "Send \"menu\", or a picture."}
    print(json.dumps(reply), flush=True)

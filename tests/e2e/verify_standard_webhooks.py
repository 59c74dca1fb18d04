"""Checks deliveries with the Standard Webhooks reference verifier (the `standardwebhooks`
package). Reads {"secret": ..., "messages": [{"headers": {...}, "body": "..."}]} on stdin and
prints, for each message, {"ok": true, "payload": ...} or {"ok": false, "error": "..."}."""

import json
import sys

from standardwebhooks.webhooks import Webhook

request = json.load(sys.stdin)
webhook = Webhook(request["secret"])
results = []
for message in request["messages"]:
    try:
        payload = webhook.verify(message["body"], message["headers"])
        results.append({"ok": True, "payload": payload})
    except Exception as error:  # the verifier's refusal, whatever its kind
        results.append({"ok": False, "error": f"{type(error).__name__}: {error}"})
json.dump(results, sys.stdout)

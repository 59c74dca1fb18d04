// Checks deliveries with the Standard Webhooks reference verifier for JavaScript (the
// `standardwebhooks` package from npm). Reads {"secret": ..., "messages": [{"headers": {...},
// "body": "..."}]} on stdin and prints, for each message, {"ok": true, "payload": ...} or
// {"ok": false, "error": "..."}: the same contract as verify_standard_webhooks.py.
import { Webhook } from "standardwebhooks";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const request = JSON.parse(input);
const webhook = new Webhook(request.secret);
const results = request.messages.map((message) => {
  try {
    return { ok: true, payload: webhook.verify(message.body, message.headers) };
  } catch (error) {
    return { ok: false, error: `${error.name}: ${error.message}` };
  }
});
process.stdout.write(JSON.stringify(results));

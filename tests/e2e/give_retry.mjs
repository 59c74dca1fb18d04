// <shoutout-give> against a busy service: the test holding the script (tests/api/browser.rs)
// holds a lock that the first send waits on until the service's statement timeout answers 503,
// then lets go. The widget must say it is sending again, send the same request with the same
// Idempotency-Key after the service's Retry-After, and end with the thanks sent, no error shown.
//
// Usage: node give_retry.mjs BASE MESSAGE
import { check, launch, openDemo, recordSends, thankBob } from "./lib.mjs";

const [base, message] = process.argv.slice(2);
const browser = await launch();
try {
  let sends;
  const { page, errors } = await openDemo(browser, base, (p) => { sends = recordSends(p); });

  const give = page.locator("shoutout-give");
  await thankBob(give, message);
  await give.getByRole("button", { name: "Send thanks" }).click();

  // The first send meets the held lock; the person is told it is being sent again.
  await give.getByText("Shoutout is busy. Sending again…").waitFor({ timeout: 15000 });
  check((await give.getByRole("button", { name: "Send thanks" }).isDisabled()), "Send stays disabled meanwhile");
  await give.getByText("Thanks sent to Bob Okafor.").waitFor({ timeout: 30000 });

  check(sends.length >= 2, `sent at least twice: ${JSON.stringify(sends)}`);
  check(sends[0].status === 503, `the first send was answered 503: ${JSON.stringify(sends)}`);
  check(sends[sends.length - 1].status === 201, `the last send was answered 201: ${JSON.stringify(sends)}`);
  check(sends.slice(0, -1).every((s) => s.status === 503), `only 503s were sent again: ${JSON.stringify(sends)}`);
  check(new Set(sends.map((s) => s.key)).size === 1 && sends[0].key, `one Idempotency-Key for every send: ${JSON.stringify(sends)}`);
  // The service asked for a second's pause (Retry-After: 1).
  check(sends[1].at - sends[0].at >= 900, `paused before sending again (${sends[1].at - sends[0].at} ms)`);
  check((await give.locator(".status.error").count()) === 0, "no error is left on the form");
  check((await give.locator("#message").inputValue()) === "", "the form is cleared for the next thanks");
  check(errors.length === 0, `no errors in the page: ${errors.join("; ")}`);
  console.log(`give retry: ${sends.map((s) => s.status).join(", ")}`);
} finally {
  await browser.close();
}

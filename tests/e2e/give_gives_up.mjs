// <shoutout-give> against a service that stays busy: the test holding the script
// (tests/api/browser.rs) holds a lock every send waits on until the service's statement timeout
// answers 503, and lets go only when this script prints "release the lock". The widget must
// send four times in all (the first and three more), each with the same Idempotency-Key, then
// stop and show the service's error with the form kept; a press of Send once the service is
// clear sends the same key again, and the thanks is stored once.
//
// Usage: node give_gives_up.mjs BASE MESSAGE
import { check, launch, openDemo, recordSends, thankBob } from "./lib.mjs";

const [base, message] = process.argv.slice(2);
const browser = await launch();
try {
  let sends;
  const { page, errors } = await openDemo(browser, base, (p) => { sends = recordSends(p); });

  const give = page.locator("shoutout-give");
  await thankBob(give, message);
  const send = give.getByRole("button", { name: "Send thanks" });
  await send.click();

  // Four sends meet the lock (each waits out the 1.5 s statement timeout, then a second's
  // Retry-After): then the widget gives up and says what the service answered.
  const error = give.locator(".status.error");
  await error.getByText("the service is briefly unavailable").waitFor({ timeout: 60000 });
  check(sends.length === 4, `four sends, then none: ${JSON.stringify(sends)}`);
  check(sends.every((s) => s.status === 503), `every send was answered 503: ${JSON.stringify(sends)}`);
  check(new Set(sends.map((s) => s.key)).size === 1 && sends[0].key, `one Idempotency-Key: ${JSON.stringify(sends)}`);
  check(!(await send.isDisabled()), "Send can be pressed again");
  check((await give.locator("#message").inputValue()) === message, "the message is kept");
  check((await give.getByRole("button", { name: "Remove Bob Okafor" }).count()) === 1, "Bob is still chosen");

  // Nothing more is sent by itself while the error shows (a try would be answered 503 too).
  await page.waitForTimeout(3000);
  check(sends.length === 4, `no fifth send by itself: ${JSON.stringify(sends)}`);

  // The service is clear again; the person presses Send, and the same thanks goes through.
  console.log("release the lock");
  await send.click();
  await give.getByText("Thanks sent to Bob Okafor.").waitFor({ timeout: 30000 });
  const last = sends[sends.length - 1];
  check(last.status === 201, `the last send was answered 201: ${JSON.stringify(sends)}`);
  check(last.key === sends[0].key, `Send again used the same Idempotency-Key: ${JSON.stringify(sends)}`);
  check((await give.locator(".status.error").count()) === 0, "no error is left on the form");
  check(errors.length === 0, `no errors in the page: ${errors.join("; ")}`);
  console.log(`give gave up after: ${sends.slice(0, 4).map((s) => s.status).join(", ")}; then ${last.status}`);
} finally {
  await browser.close();
}

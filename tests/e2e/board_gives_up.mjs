// The demo page's boards and wall against a service that stays busy: the test holding the
// script (tests/api/browser.rs) locks the tallies before the page opens, so that every board
// read waits until the service's statement timeout answers 503, and lets go only when this
// script prints "release the lock". Each board (and the wall's) must ask five times in all (its
// first read and four more after Retry-After), then stop until its next refresh a minute later,
// showing the service's error meanwhile: a long outage is not met with more and more reads.
//
// Usage: node board_gives_up.mjs BASE
import { check, launch, openDemo, recordBoardReads } from "./lib.mjs";

const [base] = process.argv.slice(2);
const browser = await launch();
try {
  let reads;
  const { page, errors } = await openDemo(browser, base, (p) => { reads = recordBoardReads(p); });

  const boards = page.locator("shoutout-leaderboard");
  const count = await boards.count();
  check(count >= 2, `the demo page has boards: ${count}`);
  for (let i = 0; i < count; i++) {
    await boards.nth(i).getByText("the service is briefly unavailable").waitFor({ timeout: 60000 });
  }
  // Wait until no board has asked for eight seconds: far longer than any pause they were
  // asked for (Retry-After: 1), well before the minute's refresh (refresh="60").
  for (;;) {
    const seen = reads.length;
    await page.waitForTimeout(8000);
    if (reads.length === seen) break;
  }

  const byUrl = new Map();
  for (const r of reads) byUrl.set(r.url, [...(byUrl.get(r.url) || []), r.status]);
  // The boards, and the wall's board (recipients this week).
  check(byUrl.size === count + 1, `one address per board and the wall: ${JSON.stringify([...byUrl])}`);
  for (const [url, statuses] of byUrl) {
    check(statuses.length === 5, `${url} was read five times, then not again: ${statuses}`);
    check(statuses.every((s) => s === 503), `${url} was answered 503 each time: ${statuses}`);
  }
  for (let i = 0; i < count; i++) {
    const left = await boards.nth(i).locator(".status.error").count();
    check(left === 1, `board ${i} still says why it shows nothing new: ${left}`);
  }
  check(errors.length === 0, `no errors in the page: ${errors.join("; ")}`);
  console.log(`boards gave up after ${reads.length} reads over ${byUrl.size} addresses`);
  console.log("release the lock");
} finally {
  await browser.close();
}

// The demo page's boards and wall against a busy service: the test holding the script
// (tests/api/browser.rs) locks the tallies before the page opens, so every board's first read
// waits until the service's statement timeout answers 503, then lets go. Each board must show
// its lines again by itself soon after (asked again after Retry-After), not at its next refresh
// a minute later, and no error may be left on the page.
//
// Usage: node board_retry.mjs BASE
import { check, launch, openDemo, recordBoardReads } from "./lib.mjs";

const [base] = process.argv.slice(2);
const browser = await launch();
try {
  let reads;
  const { page, errors } = await openDemo(browser, base, (p) => { reads = recordBoardReads(p); });
  const opened = Date.now();

  // The first reads meet the lock and are answered 503; the boards say so.
  const board = page.locator("shoutout-leaderboard").first();
  await board.getByText("Shoutout answered: the service is briefly unavailable").waitFor({ timeout: 20000 });
  check(reads.some((r) => r.status === 503), `a board read was answered 503: ${JSON.stringify(reads)}`);

  // Well before the minute's refresh (refresh="60" on the demo page), every board and the
  // wall show their lines, and no error is left.
  const boards = page.locator("shoutout-leaderboard");
  const count = await boards.count();
  check(count >= 2, `the demo page has boards: ${count}`);
  for (let i = 0; i < count; i++) {
    await boards.nth(i).locator("li").first().waitFor({ timeout: 30000 });
  }
  await page.locator("shoutout-wall .board li").first().waitFor({ timeout: 30000 });
  const recovered = Date.now() - opened;
  check(recovered < 45000, `recovered before the next refresh (${recovered} ms)`);
  for (const element of ["shoutout-leaderboard", "shoutout-feed"]) {
    const left = await page.locator(`${element} .status.error`).count();
    check(left === 0, `no error left on ${element}: ${left}`);
  }
  check(errors.length === 0, `no errors in the page: ${errors.join("; ")}`);
  const after503 = reads.filter((r) => r.status === 503).length;
  console.log(`boards recovered ${recovered} ms after the page opened; ${after503} reads answered 503 first`);
} finally {
  await browser.close();
}

// The intranet widgets in a real browser, against two instances of the service on one database:
// the demo page renders the boards and the feed; a shout-out given through <shoutout-give> on
// the first instance appears within a second on the <shoutout-wall> of both. Screenshots of
// the demo page and the wall are saved.
//
// Usage: node widgets.mjs BASE_A BASE_B MESSAGE SCREENSHOT_DIR
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { check, launch } from "./lib.mjs";

const [baseA, baseB, message, shots] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
const browser = await launch();
try {
  const errors = [];
  const open = async (url) => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on("pageerror", (e) => errors.push(`${url}: ${e.message}`));
    page.on("console", (m) => m.type() === "error" && errors.push(`${url}: ${m.text()}`));
    const response = await page.goto(url);
    check(response.status() === 200, `${url} answered ${response.status()}`);
    return page;
  };
  const home = await open(`${baseA}/demo`);
  const tv = await open(`${baseB}/demo`);

  // The boards and the feed render from the API with the demo widget key.
  const board = home.locator("shoutout-leaderboard").first();
  await board.locator("li").first().waitFor({ timeout: 10000 });
  check((await board.locator("li").count()) > 0, "the board has entries");
  const heading = await board.getByRole("heading").textContent();
  check(heading.includes("Most thanked"), `board heading: ${heading}`);
  await home.locator("shoutout-feed li").first().waitFor({ timeout: 10000 });
  // The intranet's colour reaches inside the shadow DOM.
  const accent = await board.locator(".count").first().evaluate((el) => getComputedStyle(el).color);
  check(accent === "rgb(11, 110, 79)", `themed accent colour, got ${accent}`);

  // Both walls are live before anything is given.
  for (const page of [home, tv]) {
    await page.locator("shoutout-wall[connected]").waitFor({ timeout: 10000 });
  }

  // Clear errors from the API, tied to their fields.
  const give = home.locator("shoutout-give");
  await give.getByRole("button", { name: "Send thanks" }).click();
  await give.getByText("Choose at least one colleague.").waitFor();
  check((await give.locator("#who").getAttribute("aria-invalid")) === "true", "the search field is marked invalid");

  // Giving, with the keyboard: search, arrow down to a result, Enter, a value, a message.
  await give.locator("#who").fill("Bob");
  await give.getByRole("button", { name: /Bob Okafor/ }).waitFor();
  await give.locator("#who").press("ArrowDown");
  await home.keyboard.press("Enter");
  await give.getByRole("button", { name: "Remove Bob Okafor" }).waitFor();
  await give.getByLabel("Helping others").check();
  await give.locator("#message").fill(message);
  await home.screenshot({ path: join(shots, "demo-page.png"), fullPage: true });
  const posted = home.waitForResponse((r) => r.url().endsWith("/api/v1/shoutouts") && r.request().method() === "POST");
  await give.getByRole("button", { name: "Send thanks" }).click();
  const response = await posted;
  check(response.status() === 201, `the shout-out was created: ${response.status()}`);
  const sentAt = Date.now();
  await Promise.all([home, tv].map((page) =>
    page.locator("shoutout-wall").getByText(message).first().waitFor({ timeout: 1000 })));
  const elapsed = Date.now() - sentAt;
  check(elapsed <= 1000, `on both walls within a second (${elapsed} ms)`);
  await give.getByText("Thanks sent to Bob Okafor.").waitFor();
  console.log(`wall latency after the 201: ${elapsed} ms (both instances)`);
  await tv.locator("shoutout-wall").screenshot({ path: join(shots, "wall.png") });

  // Reduced motion: no animation on the wall.
  await tv.emulateMedia({ reducedMotion: "reduce" });
  const animation = await tv.locator("shoutout-wall .card").first()
    .evaluate((el) => getComputedStyle(el).animationName);
  check(animation === "none", `no animation with reduced motion, got ${animation}`);

  // An unreachable service reads as such.
  const offline = await browser.newPage();
  await offline.setContent(`<script src="${baseA}/widget.js"></script>
    <shoutout-leaderboard api="http://127.0.0.1:9" key="swk_x" refresh="0"></shoutout-leaderboard>`);
  await offline.locator("shoutout-leaderboard").getByText("can't be reached").waitFor({ timeout: 5000 });

  check(errors.length === 0, `no errors in the pages: ${errors.join("; ")}`);
  console.log("widgets: ok");
} finally {
  await browser.close();
}

// A manager opens a team report from its signed link, as they would from an e-mail or a
// dashboard: the page renders with its charts, loads nothing from other hosts, and is saved as
// a screenshot and as a PDF (what "print" gives).
//
// Usage: node report.mjs URL SCREENSHOT_DIR
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { check, launch } from "./lib.mjs";

const [url, shots] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
const origin = new URL(url).origin;
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const external = [];
  page.on("request", (request) => {
    if (!request.url().startsWith(origin)) external.push(request.url());
  });
  const response = await page.goto(url);
  check(response.status() === 200, `report status ${response.status()}`);
  const heading = await page.getByRole("heading", { level: 1 }).textContent();
  check(heading.startsWith("Recognition report"), `heading: ${heading}`);
  // Both charts are drawn, as images with names, and have real size on the page.
  for (const name of ["Values the team was thanked for", "Shout-outs received, week by week"]) {
    const chart = page.getByRole("img", { name });
    const box = await chart.boundingBox();
    check(box && box.width > 200 && box.height > 100, `chart "${name}" is drawn: ${JSON.stringify(box)}`);
  }
  const bars = await page.locator("svg rect.bar").count();
  check(bars === 5, `five value bars, got ${bars}`);
  check((await page.locator("script").count()) === 0, "no script on the page");
  await page.screenshot({ path: join(shots, "team-report.png"), fullPage: true });
  await page.emulateMedia({ media: "print" });
  await page.pdf({ path: join(shots, "team-report.pdf"), format: "A4", printBackground: true });
  check(external.length === 0, `nothing is fetched from other hosts: ${external}`);
  console.log("team report: ok");
} finally {
  await browser.close();
}

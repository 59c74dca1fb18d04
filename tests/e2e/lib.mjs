// Shared by the end-to-end scripts: Debian's Chromium, headless, started the way this
// machine needs (no sandbox as root, no GPU, no network beyond loopback).
import { chromium } from "playwright-core";

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--no-first-run",
    ],
  });
}

export function check(condition, message) {
  if (!condition) {
    throw new Error(`check failed: ${message}`);
  }
}

// The demo page in a new page of `browser`, after `beforeLoad(page)` (to listen from the first
// request); returns the page and the errors it throws.
export async function openDemo(browser, base, beforeLoad = () => {}) {
  const errors = [];
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on("pageerror", (e) => errors.push(e.message));
  beforeLoad(page);
  const response = await page.goto(`${base}/demo`);
  check(response.status() === 200, `/demo answered ${response.status()}`);
  return { page, errors };
}

// Every POST of a shout-out `page` sends, as it is answered: status, Idempotency-Key, when.
export function recordSends(page) {
  const sends = [];
  page.on("response", (r) => {
    if (r.url().endsWith("/api/v1/shoutouts") && r.request().method() === "POST") {
      sends.push({ status: r.status(), key: r.request().headers()["idempotency-key"], at: Date.now() });
    }
  });
  return sends;
}

// Every board read `page` makes, as it is answered: address, status, when.
export function recordBoardReads(page) {
  const reads = [];
  page.on("response", (r) => {
    if (r.url().includes("/api/v1/leaderboards/")) reads.push({ url: r.url(), status: r.status(), at: Date.now() });
  });
  return reads;
}

// Fills the demo's <shoutout-give> (locator `give`) with thanks to Bob for helping others.
export async function thankBob(give, message) {
  await give.locator("#who").fill("Bob");
  await give.getByRole("button", { name: /Bob Okafor/ }).click();
  await give.getByRole("button", { name: "Remove Bob Okafor" }).waitFor();
  await give.getByLabel("Helping others").check();
  await give.locator("#message").fill(message);
}

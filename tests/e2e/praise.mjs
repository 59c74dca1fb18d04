// A customer thanks an employee through the public praise link, in a real browser on a phone-
// sized screen: the form renders with its labels, the values and their plain-words hints; the
// customer types, picks a value with the keyboard, sends, and lands on the thank-you page.
//
// Usage: node praise.mjs BASE_URL HANDLE SCREENSHOT_DIR
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { check, launch } from "./lib.mjs";

const [base, handle, shots] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const external = [];
  page.on("request", (request) => {
    if (!request.url().startsWith(base)) external.push(request.url());
  });
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  // Failed loads are checked by address (the 404 page below is one on purpose; browsers ask
  // for a favicon on their own).
  page.on("response", (r) => {
    const url = r.url();
    if (r.status() >= 400 && !url.endsWith("/favicon.ico") && !url.endsWith("/praise/no-longer-valid")) {
      errors.push(`${r.status()} ${url}`);
    }
  });

  const response = await page.goto(`${base}/praise/${handle}`);
  check(response.status() === 200, `form status ${response.status()}`);
  const heading = await page.getByRole("heading", { level: 1 }).textContent();
  check(heading.includes("Say thank you to"), `heading: ${heading}`);
  // Every control is reachable by its accessible name, as a screen reader would find it.
  await page.getByRole("textbox", { name: "Your message (required)" }).fill(
    "You stayed on the phone until my account was working again. Thank you so much!"
  );
  await page.getByRole("textbox", { name: "Your name (optional)" }).fill("Robin");
  await page.getByRole("textbox", { name: "Your e-mail (optional)" }).fill("robin@example.org");
  const choices = await page.getByRole("radio").count();
  check(choices === 6, `six choices (five values and "let us choose"), got ${choices}`);
  // The keyboard picks a value: focus the first choice, then arrow down to "Achieving goals".
  await page.getByRole("radio", { name: "Helping others", exact: true }).focus();
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  check(await page.getByRole("radio", { name: "Achieving goals", exact: true }).isChecked(), "keyboard picked a value");
  // The honeypot is out of sight and out of the tab order.
  check(!(await page.locator("#website").isVisible()) || (await page.locator(".hp").boundingBox()).x < 0,
    "the honeypot is hidden");
  await page.screenshot({ path: join(shots, "praise-form.png"), fullPage: true });

  await page.getByRole("button", { name: "Send my thanks" }).click();
  await page.waitForURL(`**/praise/${handle}/thanks?lang=en`, { timeout: 30000 });
  const thanks = await page.getByRole("heading", { level: 1 }).textContent();
  check(thanks.includes("Thank you"), `thank-you heading: ${thanks}`);
  await page.screenshot({ path: join(shots, "praise-thanks.png"), fullPage: true });

  // A link that no longer works gets a friendly page, not an error dump.
  const gone = await page.goto(`${base}/praise/no-longer-valid`);
  check(gone.status() === 404, `unknown link status ${gone.status()}`);
  check((await page.getByRole("heading", { level: 1 }).textContent()).includes("does not work"), "404 page");
  await page.screenshot({ path: join(shots, "praise-404.png"), fullPage: true });

  check(external.length === 0, `nothing is fetched from other hosts: ${external}`);
  check(errors.length === 0, `no script errors: ${errors}`);
  console.log("praise form: ok");
} finally {
  await browser.close();
}

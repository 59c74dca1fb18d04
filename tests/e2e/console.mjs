// The console in Chromium: sign in through the real OpenID provider the Rust test started,
// visit every page (axe-core: no serious or critical violation; no CSP violation; nothing
// wider than the screen at 390 px; screenshots at 1280 and 390 px), moderate by keyboard, run
// an import preview and commit, mint a widget key and see its snippet work on another origin's
// page, then sign in as an employee who finds their own page and no admin page.
//
// Usage: node console.mjs <base> <screenshot dir> <person id> <intranet port> <a --demo base>
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { createRequire } from "node:module";
import { launch, check } from "./lib.mjs";

const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const [base, shots, personId, intranetPort, demoBase] = process.argv.slice(2);
fs.mkdirSync(shots, { recursive: true });

const browser = await launch();
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
let page = await context.newPage();
const cspViolations = [];
// Every page of the run reports CSP violations and script errors here.
function watch(p) {
  p.on("console", (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) {
      cspViolations.push(`${p.url()}: ${message.text()}`);
    }
  });
  p.on("pageerror", (error) => cspViolations.push(`${p.url()}: ${error.message}`));
}
watch(page);

async function audit(name) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
    }),
  );
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  check(
    bad.length === 0,
    `${name}: axe found ${bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`).join("; ")}`,
  );
  await page.screenshot({ path: path.join(shots, `console-${name}-1280.png`), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  check(wide <= 391, `${name}: the page is ${wide}px wide at 390px`);
  await page.screenshot({ path: path.join(shots, `console-${name}-390.png`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function visit(pathname, name, expectStatus = 200) {
  const response = await page.goto(base + pathname);
  check(response.status() === expectStatus, `${pathname}: status ${response.status()}`);
  await audit(name);
}

// Sign in as Ann (an admin) through the provider.
await page.goto(base + "/console/moderation");
check(page.url().includes("/console/sign-in"), "not signed in: the sign-in page");
await audit("sign-in");
await page.getByRole("link", { name: "Sign in with your company account" }).click();
await page.locator("#login").fill("ann");
await page.getByRole("button", { name: "Sign in" }).click();
await page.waitForURL(base + "/console/moderation");
await page.locator("h1", { hasText: "Moderation" }).waitFor();
await audit("moderation");

// Moderate by keyboard: j to the first item, a approves it; j, r, type a reason, Enter.
const before = Number(await page.locator("nav .count").textContent());
check(before === 2, `two praise waiting, the navigation says ${before}`);
await page.keyboard.press("j");
check(await page.evaluate(() => document.activeElement.hasAttribute("data-item")), "j focuses an item");
await Promise.all([page.waitForURL(/done=approved/), page.keyboard.press("a")]);
await page.getByText("Approved: the praise is published.").waitFor();
check(Number(await page.locator("nav .count").textContent()) === 1, "one left");
await page.keyboard.press("j");
await page.keyboard.press("r");
check(await page.evaluate(() => document.activeElement.hasAttribute("data-reason")), "r goes to the reason");
await page.keyboard.type("Not about our service");
await Promise.all([page.waitForURL(/done=rejected/), page.keyboard.press("Enter")]);
await page.getByText("Rejected: the praise stays hidden.").waitFor();
check(Number(await page.locator("nav .count").textContent()) === 0, "none left");
await audit("moderation-done");

await visit("/console/", "overview");
await visit("/console/team", "team");
await visit(`/console/people/${personId}`, "person");
await visit("/console/directory", "directory");
await visit(`/console/directory/people/${personId}`, "directory-person");
await visit("/console/directory/scim-tokens", "scim-tokens");
await visit("/console/directory/scim-tokens", "scim-tokens");
await page.locator("#token-name").fill("Okta");
await page.getByRole("button", { name: "Mint" }).click();
await page.getByText("Copy the token now").waitFor();
await audit("scim-token-minted");
await visit("/console/campaigns", "campaigns");
// A refused form: the error page names the field.
await page.locator("#name").fill("Backwards");
await page.locator("#starts_on").fill("2026-10-09");
await page.locator("#ends_on").fill("2026-10-05");
await page.getByRole("button", { name: "Create" }).click();
await page.getByText("must not be before").first().waitFor();
check((await page.locator("[role=alert] li").textContent()).includes("ends_on"), "the error names the field");
await audit("error");
await visit("/console/campaigns", "campaigns");
const campaignHref = await page.locator("table a[href^='/console/campaigns/']").first().getAttribute("href");
await visit(campaignHref, "campaign");
await visit("/console/webhooks", "webhooks");
await page.locator("#url").fill(base + "/hooks/console-test");
await page.locator("#description").fill("Added in the browser");
await page.getByRole("button", { name: "Add" }).click();
await page.getByText("Copy its signing secret now").waitFor();
check((await page.locator("#secret").inputValue()).startsWith("whsec_"), "the secret, once");
await audit("webhook-added");
await visit("/console/webhooks", "webhooks");
const webhookHref = await page.locator("table a[href^='/console/webhooks/']").first().getAttribute("href");
await visit(webhookHref, "webhook");
await visit("/console/audit", "audit");
await visit("/console/me", "me");
await visit("/console/me/card", "card");
await page.emulateMedia({ media: "print" });
await page.screenshot({ path: path.join(shots, "console-card-print.png"), fullPage: true });
check(!(await page.locator("header.bar").isVisible()), "the navigation is not printed");
await page.emulateMedia({ media: "screen" });

// Import: the preview first, then the commit.
await visit("/console/directory/import", "import");
await page.locator("#csv").fill("external_id,display_name,email,team\nzoe,Zoe Park,zoe@example.com,Support\n");
await page.getByRole("button", { name: "Preview the changes" }).click();
await page.getByText("Nothing has been written yet.").waitFor();
check(await page.getByRole("cell", { name: "zoe", exact: true }).isVisible(), "the diff names the new person");
await audit("import-preview");
await page.getByRole("button", { name: "Import these changes" }).click();
await page.getByText("Imported: 1 created").waitFor();
await audit("import-done");
await page.goto(base + "/console/directory?q=zoe");
check(await page.getByRole("link", { name: "Zoe Park" }).isVisible(), "Zoe is in the directory");

// A widget key: its snippet, pasted into another origin's page, shows the board.
await visit("/console/widget-keys", "widget-keys");
await page.locator("#key-name").fill("Intranet home");
await page.locator("#origins").fill(`http://localhost:${intranetPort}`);
await page.getByRole("button", { name: "Mint" }).click();
await page.getByText("Copy the key now").waitFor();
await audit("widget-key-minted");
const snippet = await page.locator("#snippet").inputValue();
check(snippet.includes("data-key=\"swk_"), "the snippet carries the key");
check(!(await page.getByText("SHOUTOUT_CORS_ORIGINS").count()), "the origin is allowed: no warning");
const intranet = http.createServer((_req, res) => {
  res.setHeader("content-type", "text/html; charset=utf-8");
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Intranet</title></head><body><main>${snippet}</main></body></html>`);
});
await new Promise((resolve) => intranet.listen(Number(intranetPort), "127.0.0.1", resolve));
const other = await context.newPage();
await other.goto(`http://localhost:${intranetPort}/`);
await other.locator("shoutout-leaderboard li").first().waitFor({ timeout: 10000 });
check((await other.locator("shoutout-leaderboard li").count()) > 0, "the pasted board shows people");
await other.close();
intranet.close();

check(cspViolations.length === 0, `CSP or script errors: ${cspViolations.join("\n")}`);

// Sign out; Bob, an employee, finds his own page and no admin page.
await page.goto(base + "/console/");
await page.getByRole("button", { name: "Sign out" }).click();
await page.getByText("You are signed out.").waitFor();
check((await page.goto(base + "/console/me"), page.url().includes("/console/sign-in")), "signed out");
// Bob on a computer of his own (the provider would remember Ann's sign-in in this one).
const bobContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
page = await bobContext.newPage();
watch(page);
await page.goto(base + "/console/sign-in");
await page.getByRole("link", { name: "Sign in with your company account" }).click();
await page.locator("#login").fill("bob");
await page.getByRole("button", { name: "Sign in" }).click();
await page.waitForURL(base + "/console/");
check(!(await page.getByRole("link", { name: "Directory" }).count()), "no Directory for an employee");
await visit("/console/me", "me-employee");
await visit("/console/directory", "forbidden", 403);
check(await page.getByText("this page is for people with the `admin` role").isVisible(), "the refusal says why");

// The demo's development sign-in (another instance, run with --demo).
await page.goto(demoBase + "/console/dev-sign-in");
await audit("dev-sign-in");
await page.locator("#admin").check();
await page.getByRole("button", { name: "Sign in" }).click();
await page.waitForURL(demoBase + "/console/");
check(await page.getByRole("link", { name: "Directory", exact: true }).isVisible(), "signed in with the admin role");

check(cspViolations.length === 0, `CSP or script errors: ${cspViolations.join("\n")}`);
await browser.close();
console.log("console: every page checked");

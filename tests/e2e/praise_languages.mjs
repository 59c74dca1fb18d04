// The praise form in each of its languages, in a real browser at phone width: the browser's
// language picks the page's (the `lang` attribute, the heading, the value labels), a message
// that names no value brings the form back asking the customer to choose (in their language),
// the keyboard chooses, and the thank-you page answers in the same language. The picker then
// switches language by hand.
//
// Usage: node praise_languages.mjs BASE_URL HANDLE SCREENSHOT_DIR
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { check, launch } from "./lib.mjs";

const [base, handle, shots] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });

// What each language must show: words from its catalogue, and a thank-you that names no value.
const LANGUAGES = {
  en: { heading: "Say thank you to", send: "Send my thanks", care: "Responding with care", thanks: "Thank you!", message: "Thanks!" },
  es: { heading: "Da las gracias a", send: "Enviar mi agradecimiento", care: "Atender con cariño", thanks: "¡Gracias!", message: "¡Muchas gracias!" },
  fr: { heading: "Dites merci à", send: "Envoyer mon merci", care: "Répondre avec bienveillance", thanks: "Merci !", message: "Merci beaucoup." },
  de: { heading: "Danke sagen an", send: "Meinen Dank senden", care: "Mit Sorgfalt reagieren", thanks: "Vielen Dank!", message: "Danke schön!" },
  pt: { heading: "Agradeça a", send: "Enviar meu agradecimento", care: "Atender com cuidado", thanks: "Obrigado!", message: "Muito obrigado!" },
};

const browser = await launch();
try {
  for (const [tag, words] of Object.entries(LANGUAGES)) {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      locale: tag,
      extraHTTPHeaders: { "Accept-Language": `${tag};q=1, en;q=0.5` },
    });
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    const response = await page.goto(`${base}/praise/${handle}`);
    check(response.status() === 200, `${tag}: form status ${response.status()}`);
    check((await page.getAttribute("html", "lang")) === tag, `${tag}: html lang`);
    const heading = await page.getByRole("heading", { level: 1 }).textContent();
    check(heading.startsWith(words.heading), `${tag}: heading ${heading}`);
    check(await page.getByRole("radio", { name: words.care, exact: true }).count() === 1, `${tag}: value label`);
    await page.locator("#message").fill(words.message);
    await page.getByRole("button", { name: words.send }).click();
    // Back, asking: the summary is announced, and points at the values.
    await page.waitForSelector("#error-summary", { timeout: 30000 });
    check((await page.getAttribute("html", "lang")) === tag, `${tag}: still in its language`);
    check((await page.locator("#message").inputValue()) === words.message, `${tag}: the message was kept`);
    check(await page.locator("#value-error").isVisible(), `${tag}: the values say what is wrong`);
    await page.screenshot({ path: join(shots, `praise-${tag}-asking.png`), fullPage: true });
    await page.getByRole("radio", { name: words.care, exact: true }).focus();
    await page.keyboard.press("Space");
    check(await page.getByRole("radio", { name: words.care, exact: true }).isChecked(), `${tag}: keyboard chose`);
    await page.getByRole("button", { name: words.send }).click();
    await page.waitForURL(`**/praise/${handle}/thanks?lang=${tag}`, { timeout: 30000 });
    check((await page.getAttribute("html", "lang")) === tag, `${tag}: thank-you page language`);
    const thanks = await page.getByRole("heading", { level: 1 }).textContent();
    check(thanks === words.thanks, `${tag}: thank-you heading ${thanks}`);
    await page.screenshot({ path: join(shots, `praise-${tag}-thanks.png`), fullPage: true });
    check(errors.length === 0, `${tag}: no script errors: ${errors}`);
    await context.close();
  }

  // The picker: an English browser switches to German by hand, and the form stays German.
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: "en-GB" });
  const page = await context.newPage();
  await page.goto(`${base}/praise/${handle}`);
  check((await page.getAttribute("html", "lang")) === "en", "picker: starts in English");
  const picker = page.getByRole("navigation", { name: "Language" });
  check(await picker.getByRole("link").count() === Object.keys(LANGUAGES).length - 1, "picker: a link per other language");
  await picker.getByRole("link", { name: "Deutsch" }).click();
  await page.waitForURL(`**/praise/${handle}?lang=de`);
  check((await page.getAttribute("html", "lang")) === "de", "picker: now German");
  check((await page.locator("input[name=lang]").inputValue()) === "de", "picker: the form carries the choice");
  const current = await page.getByRole("navigation", { name: "Sprache" }).locator("[aria-current]").textContent();
  check(current === "Deutsch", `picker: marks the current language, got ${current}`);
  await page.screenshot({ path: join(shots, "praise-picker-de.png"), fullPage: true });
  await context.close();
  console.log("praise form in five languages: ok");
} finally {
  await browser.close();
}

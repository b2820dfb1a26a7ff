// Browser test of the dashboard: opens the page in Debian's Chromium (driven
// by playwright-core, no browser download). First as a stranger: no page, no
// data, no cross-site sign-in, no wrong password. Then signed in, what a
// user sees: price cards with their delivery labels, the intraday candles,
// the daily chart with its SMA and Bollinger overlays, RSI and MACD, the
// performance figures; a watch-list symbol nobody knows (GVR) says "not
// found"; the console shows no error once signed in (e.g. a 404). Saves a
// screenshot.
//   DASHBOARD_PASSWORD=... node dashboard_test.js URL SCREENSHOT.png
"use strict";
const { chromium } = require("playwright-core");

const [url, screenshot] = process.argv.slice(2);
const password = process.env.DASHBOARD_PASSWORD;

function fail(message) {
  console.error("FAIL: " + message);
  process.exit(1);
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    // The dashboard's certificate comes from the test's own CA, which
    // Chromium does not know; the connection is still HTTPS.
    const context = await browser.newContext({ viewport: { width: 1280, height: 1400 },
                                               ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const timeout = 60000;

    // A browser that has not signed in gets neither the page nor data.
    const api = context.request;
    for (const path of ["api/events?symbols=FPT", "api/history?symbol=FPT"]) {
      const r = await api.get(url + path);
      if (r.status() !== 401) fail(`${path} without a session: ${r.status()}, expected 401`);
    }
    const home = await api.get(url, { maxRedirects: 0 });
    if (home.status() !== 303 || home.headers()["location"] !== "/login") {
      fail(`/ without a session: ${home.status()} ${home.headers()["location"]}`);
    }
    const csp = home.headers()["content-security-policy"] || "";
    if (!/frame-ancestors 'none'/.test(csp) || /unsafe-inline/.test(csp)) fail(`CSP: ${csp}`);
    // A sign-in posted from another site (CSRF) is refused, right password
    // or not.
    const forged = await api.post(url + "login", { form: { password },
      headers: { Origin: "https://evil.example" }, maxRedirects: 0 });
    if (forged.status() !== 403) fail(`cross-site sign-in: ${forged.status()}, expected 403`);
    await page.goto(url);
    if (!page.url().endsWith("/login")) fail(`not sent to /login: ${page.url()}`);
    await page.fill('input[name="password"]', "not-the-password");
    await page.click('button[type="submit"]');
    await page.waitForSelector("text=Wrong password.", { timeout });
    if ((await context.cookies()).length) fail("a cookie without signing in");

    // From here on, console errors include every failed resource load (a
    // 404 favicon). Not before: the wrong password's 401 is one.
    page.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
    await page.fill('input[name="password"]', password);
    await page.click('button[type="submit"]');
    await page.waitForURL(url, { timeout });
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === "__Host-vnstream");
    if (!session || !session.httpOnly || !session.secure || session.sameSite !== "Strict") {
      fail("session cookie attributes: " + JSON.stringify(cookies));
    }
    // FPT comes through Kafka; MSN is not ingested: the gateway's fallback.
    await page.waitForFunction(() => /\d/.test(document.querySelector('.card[data-symbol="FPT"] .price').textContent), null, { timeout });
    await page.waitForFunction(() => /\d/.test(document.querySelector('.card[data-symbol="MSN"] .price').textContent), null, { timeout });
    const fpt = await page.textContent('.card[data-symbol="FPT"] .source');
    const msn = await page.textContent('.card[data-symbol="MSN"] .source');
    if (fpt !== "Kafka Live") fail(`FPT labelled "${fpt}", expected "Kafka Live"`);
    if (msn !== "VNStock") fail(`MSN labelled "${msn}", expected "VNStock"`);
    // GVR is in neither Kafka nor vnstock-sim's VN30 CSV: the gateway's NOT_FOUND.
    await page.waitForFunction(() => document.querySelector('.card[data-symbol="GVR"] .price').textContent === "not found", null, { timeout });
    const price = await page.textContent('.card[data-symbol="FPT"] .price');
    if (!/^[\d,]+(\.\d+)? ₫$/.test(price)) fail(`FPT price "${price}" is not a VND amount`);
    await page.waitForFunction(() => document.querySelectorAll("#intraday rect.candle").length >= 10, null, { timeout });
    await page.waitForFunction(() => document.querySelector("#daily path.sma20") && document.querySelector("#daily path.band"), null, { timeout });
    await page.waitForFunction(() => document.querySelector("#rsi path.line") && document.querySelector("#macd path.signal"), null, { timeout });
    const sharpe = await page.textContent("#performance");
    if (!/Sharpe/.test(sharpe)) fail("no performance figures");
    // Switching the symbol re-subscribes the charts.
    await page.click('.card[data-symbol="VCB"]');
    await page.waitForFunction(() => document.querySelector(".focus-name").textContent === "VCB", null, { timeout });
    await page.waitForFunction(() => document.querySelectorAll("#intraday rect.candle").length >= 10, null, { timeout });
    if (errors.length) fail("page errors: " + errors.join("; "));
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    // Signing out ends the session: its cookie no longer opens the data.
    const out = await page.evaluate(async () => (await fetch("/logout", { method: "POST" })).status);
    if (out !== 200 && out !== 303) fail(`sign-out: ${out}`);
    const after = await api.get(url + "api/history?symbol=FPT",
                                { headers: { Cookie: `__Host-vnstream=${session.value}` } });
    if (after.status() !== 401) fail(`a signed-out session still works: ${after.status()}`);
    console.log(`PASS: refused before sign-in (401, /login, CSRF 403, wrong password); cards, labels, GVR not found, no console errors, candles, daily chart with indicators; sign-out`);
  } finally {
    await browser.close();
  }
})().catch((e) => fail(e.stack || String(e)));

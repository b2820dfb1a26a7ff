// Browser test of the dashboard: opens the page in Debian's Chromium (driven
// by playwright-core, no browser download) and checks what a user sees:
// price cards with their delivery labels, the intraday candles, the daily
// chart with its SMA and Bollinger overlays, RSI and MACD, the performance
// figures; a watch-list symbol nobody knows (GVR) says "not found"; the
// console shows no error (e.g. a 404). Saves a screenshot.
//   node dashboard_test.js URL SCREENSHOT.png
"use strict";
const { chromium } = require("playwright-core");

const [url, screenshot] = process.argv.slice(2);

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
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    // Console errors include every failed resource load (a 404 favicon).
    page.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
    await page.goto(url);
    const timeout = 60000;
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
    console.log(`PASS: cards, labels, GVR not found, no console errors, intraday ${await page.$$eval("#intraday rect.candle", (n) => n.length)} candles, daily chart with indicators`);
  } finally {
    await browser.close();
  }
})().catch((e) => fail(e.stack || String(e)));

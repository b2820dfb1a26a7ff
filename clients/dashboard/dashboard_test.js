// Browser test of the dashboard: Debian's Chromium driven by playwright-core
// (no browser download). It starts the dashboard server itself (so it can
// kill and restart it), reads what the gateway serves with grpcurl, and
// checks that every panel shows those values: the price board (prices,
// order book, foreign volumes, colours, delivery labels, not-found), the
// indices and the breadth, the daily chart (candles, SMA 20/50/200,
// Bollinger, volume, MACD, RSI, Stochastic, cumulative return; crosshair
// values, zoom and pan), the performance figures, the intraday chart
// (session shading, "now" marker), the live feed, the history ranges 1M,
// 1Y and 5Y (GetCandles from the history store), the symbol search, the watch-list editing (kept
// across a reload), the language switch (vi-VN and en-US numbers), an
// unavailable symbol (the sim's price board failing) and its recovery, a
// not-found symbol, and the disconnected state (server killed: banner;
// restarted: recovery). Before all that, as a stranger: no page, no data,
// no cross-site sign-in, no wrong password; then the sign-in and its
// cookie's attributes (sessions do not outlive the server: after the restart
// the test signs in again). No page or console errors once signed in.
// Screenshots go to OUTPUT_DIR.
//
//   GRPCURL=... GRPCURL_ARGS='["-cacert", "ca.pem"]' GATEWAY=host:port PROTO_ROOT=proto \
//   SIM_URL=http://127.0.0.1:port DASHBOARD_PASSWORD=... \
//   node dashboard_test.js OUTPUT_DIR -- python server.py --gateway=... [args]
// The server command gets --port=0 (then the same port on the restart).
"use strict";
const { chromium } = require("playwright-core");
const { execFileSync, spawn } = require("child_process");
const path = require("path");

const argv = process.argv.slice(2);
const outputs = argv[0];
const serverArgv = argv.slice(argv.indexOf("--") + 1);
const timeout = 90000;
const password = process.env.DASHBOARD_PASSWORD;

function fail(message) {
  throw new Error(message);
}

// ---- the gateway's values (grpcurl) ---------------------------------------------

// A unary call; {error: {code}} when the gateway answered with an error.
function gateway(method, request) {
  const args = [...JSON.parse(process.env.GRPCURL_ARGS || "[]"), "-import-path", process.env.PROTO_ROOT,
                "-proto", "vnstream/v1/market_data_service.proto", "-format-error", "-emit-defaults",
                "-d", JSON.stringify(request), process.env.GATEWAY, `vnstream.v1.MarketDataService/${method}`];
  try {
    return JSON.parse(execFileSync(process.env.GRPCURL, args, { encoding: "utf8", timeout: 60000,
                                                                 stdio: ["ignore", "pipe", "pipe"] }));
  } catch (e) {
    // -format-error: the status as JSON on stderr.
    const status = /\{[\s\S]*\}/.exec(e.stderr || "");
    if (status) return { error: JSON.parse(status[0]) };
    throw e;
  }
}

// A stream's first events: what the gateway sends within `seconds`.
function gatewayStream(method, request, seconds) {
  const args = [...JSON.parse(process.env.GRPCURL_ARGS || "[]"), "-import-path", process.env.PROTO_ROOT,
                "-proto", "vnstream/v1/market_data_service.proto", "-max-time", String(seconds),
                "-d", JSON.stringify(request), process.env.GATEWAY, `vnstream.v1.MarketDataService/${method}`];
  let out;
  try {
    out = execFileSync(process.env.GRPCURL, args, { encoding: "utf8", timeout: 60000,
                                                    stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    out = e.stdout || "";  // -max-time ends the stream with DEADLINE_EXCEEDED.
  }
  return out.split(/\n(?=\{)/).filter((s) => s.trim().startsWith("{")).map((s) => JSON.parse(s));
}

const num = (d) => d ? Number(d.units || 0) + Number(d.nanos || 0) / 1e9 : NaN;
const dateKey = (d) => `${d.year}-${String(d.month).padStart(2, "0")}-${String(d.day).padStart(2, "0")}`;

// vi-VN and en-US numbers, written out here (not with the page's code).
function format(x, digits, lang) {
  const [group, point] = lang === "vi" ? [".", ","] : [",", "."];
  const fixed = Math.abs(x).toFixed(digits);
  const [whole, frac] = fixed.split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, group);
  const sign = x < 0 && Number(fixed) !== 0 ? "-" : "";
  return sign + grouped + (frac ? point + frac : "");
}
const vi = (x, digits = 0) => format(x, digits, "vi");
const signed = (x, digits = 0, lang = "vi") => (x > 0 ? "+" : "") + format(x, digits, lang);
const priceClass = (p, q) => p >= num(q.ceilingPrice) ? "ceil" : p <= num(q.floorPrice) ? "floor" :
  p === num(q.referencePrice) ? "ref" : p > num(q.referencePrice) ? "up" : "down";

// The sim's fault injection (SIM_URL): POST adds a rule, DELETE clears all.
async function sim(method, rule) {
  const r = await fetch(`${process.env.SIM_URL}/sim/faults`, {
    method, headers: { "content-type": "application/json" },
    body: rule ? JSON.stringify(rule) : undefined });
  if (!r.ok) fail(`sim ${method} /sim/faults: ${r.status} ${await r.text()}`);
}

// ---- the dashboard server (killed and restarted by the test) ----------------------

function startServer(port) {
  const child = spawn(serverArgv[0], [...serverArgv.slice(1), `--port=${port}`],
                      { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("dashboard server did not start")), 60000);
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const m = /dashboard on (https?:\/\/[0-9.:]+\/)/.exec(out);
      if (m) { clearTimeout(timer); resolve({ child, url: m[1] }); }
    });
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`dashboard server exited ${code}`)); });
  });
}

function stopServer(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) { resolve(); return; }
    child.removeAllListeners("exit");
    child.on("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

(async () => {
  let server = await startServer(0);
  const port = new URL(server.url).port;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const checked = [];
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const errors = [];
    let serverDown = false;
    page.on("pageerror", (e) => errors.push("pageerror: " + e.message));

    // ---- a browser that has not signed in gets neither the page nor data -----------------
    const url = server.url;
    const api = context.request;
    for (const p of ["api/events?symbols=FPT", "api/history?symbol=FPT", "api/symbols?q=F",
                     "api/candles?symbol=FPT&start=2019-01-01&end=2019-06-01"]) {
      const r = await api.get(url + p);
      if (r.status() !== 401) fail(`${p} without a session: ${r.status()}, expected 401`);
    }
    const home = await api.get(url, { maxRedirects: 0 });
    if (home.status() !== 303 || home.headers()["location"] !== "/login") {
      fail(`/ without a session: ${home.status()} ${home.headers()["location"]}`);
    }
    const csp = home.headers()["content-security-policy"] || "";
    if (!/frame-ancestors 'none'/.test(csp) || /unsafe-inline/.test(csp)) fail(`CSP: ${csp}`);
    // A sign-in posted from another site (CSRF) is refused, right password or not.
    const forged = await api.post(url + "login", { form: { password },
      headers: { Origin: "https://evil.example" }, maxRedirects: 0 });
    if (forged.status() !== 403) fail(`cross-site sign-in: ${forged.status()}, expected 403`);
    await page.goto(url);
    if (!page.url().endsWith("/login")) fail(`not sent to /login: ${page.url()}`);
    await page.fill('input[name="password"]', "not-the-password");
    await page.click('button[type="submit"]');
    await page.waitForSelector("text=Wrong password.", { timeout });
    if ((await context.cookies()).length) fail("a cookie without signing in");
    await page.fill('input[name="password"]', password);
    await page.click('button[type="submit"]');
    await page.waitForURL(url, { timeout });
    const session = (await context.cookies()).find((c) => c.name === "__Host-vnstream");
    if (!session || !session.httpOnly || !session.secure || session.sameSite !== "Strict") {
      fail("session cookie attributes: " + JSON.stringify(await context.cookies()));
    }
    checked.push("refused before sign-in (401, /login, CSRF 403, wrong password), cookie attributes");

    // From here on, console errors include every failed resource load. Not
    // before: the wrong password's 401 is one.
    page.on("console", (m) => {
      // While the server is down, Chromium logs the refused reconnects.
      if (m.type() === "error" && !(serverDown && /ERR_CONNECTION_REFUSED|Failed to load resource/.test(m.text()))) {
        errors.push("console: " + m.text());
      }
    });
    const text = (selector) => page.textContent(selector);
    const waitText = async (selector, expected, what) => {
      try {
        await page.waitForFunction(([s, e]) => {
          const n = document.querySelector(s);
          return n && n.textContent.trim() === e;
        }, [selector, expected], { timeout });
      } catch (e) {
        const n = await page.$(selector);
        fail(`${what}: ${selector} shows "${n ? (await n.textContent()).trim() : "(none)"}", expected "${expected}"`);
      }
    };
    const waitFor = (fn, arg, what) => page.waitForFunction(fn, arg, { timeout }).catch(() => fail(`timed out: ${what}`));

    // Vietnamese by default.
    await waitText("#overview h2", "Tổng quan thị trường", "default language");

    // ---- price board against GetQuotes --------------------------------------------------
    const quotes = gateway("GetQuotes", { symbols: ["FPT", "VCB", "HPG", "MSN", "GVR"] });
    const bySymbol = new Map(quotes.items.map((i) => [i.quote.meta.symbol, i]));
    for (const symbol of ["FPT", "VCB", "HPG", "MSN"]) {
      const item = bySymbol.get(symbol);
      if (!item) fail(`the gateway has no quote for ${symbol}: ${JSON.stringify(quotes.missing)}`);
      const q = item.quote;
      const row = `#board tr[data-symbol="${symbol}"]`;
      await waitText(`${row} td[data-col="last"]`, vi(num(q.lastPrice)), `${symbol} last`);
      await waitText(`${row} td[data-col="ref"]`, vi(num(q.referencePrice)), `${symbol} ref`);
      await waitText(`${row} td[data-col="ceil"]`, vi(num(q.ceilingPrice)), `${symbol} ceiling`);
      await waitText(`${row} td[data-col="floor"]`, vi(num(q.floorPrice)), `${symbol} floor`);
      await waitText(`${row} td[data-col="total"]`, vi(Number(q.totalVolume)), `${symbol} total volume`);
      await waitText(`${row} td[data-col="fbuy"]`, vi(Number(q.foreignBuyVolume)), `${symbol} foreign buy`);
      await waitText(`${row} td[data-col="fsell"]`, vi(Number(q.foreignSellVolume)), `${symbol} foreign sell`);
      await waitText(`${row} td[data-col="pct"]`, signed(num(q.percentChange), 2), `${symbol} percent`);
      for (const [side, p] of [["bids", "b"], ["asks", "a"]]) {
        for (let i = 1; i <= 3; ++i) {
          const level = q[side][i - 1];
          await waitText(`${row} td[data-col="${p}${i}"]`, level ? vi(num(level.price)) : "", `${symbol} ${side} ${i}`);
          await waitText(`${row} td[data-col="${p}${i}v"]`, level ? vi(Number(level.volume)) : "", `${symbol} ${side} ${i} volume`);
        }
      }
      const cls = await page.getAttribute(`${row} td[data-col="last"]`, "class");
      if (cls !== priceClass(num(q.lastPrice), q)) fail(`${symbol} last price colour "${cls}"`);
      for (const c of ["ref", "ceil", "floor"]) {
        if (await page.getAttribute(`${row} td[data-col="${c}"]`, "class") !== c) fail(`${symbol} ${c} colour`);
      }
      const label = item.delivery === "DELIVERY_VNSTOCK_FALLBACK" ? "VNStock" : "Kafka Live";
      await waitText(`${row} td[data-col="source"]`, label, `${symbol} delivery`);
    }
    // FPT comes through Kafka; MSN is not ingested: the gateway's fallback.
    if (bySymbol.get("FPT").delivery !== "DELIVERY_KAFKA") fail("FPT is not delivered by Kafka");
    if (bySymbol.get("MSN").delivery !== "DELIVERY_VNSTOCK_FALLBACK") fail("MSN is not the fallback");
    // GVR is in no feed: its row says why it is empty.
    const gvr = (quotes.missing || []).find((m) => m.symbol === "GVR");
    if (!gvr || gvr.state !== "SYMBOL_STATE_NOT_FOUND") fail(`GVR: ${JSON.stringify(gvr)}`);
    await waitText('#board tr[data-symbol="GVR"] td[data-col="ref"]', "không tìm thấy", "GVR not found");
    checked.push("board (4 symbols x 25 cells, colours, labels; not-found row)");

    // ---- indices: a value where the gateway has one, else "not served" ---------------------
    const indexNames = await page.$$eval("#indices .index", (n) => n.map((x) => x.dataset.symbol));
    if (indexNames.length < 5) fail(`indices: ${indexNames}`);
    if (indexNames.includes("VNINDEX") && indexNames[0] !== "VNINDEX") fail(`indices order: ${indexNames}`);
    const indexQuotes = gateway("GetQuotes", { symbols: indexNames });
    const indexItems = new Map((indexQuotes.items || []).map((i) => [i.quote.meta.symbol, i.quote]));
    for (const name of indexNames) {
      const q = indexItems.get(name);
      await waitText(`#indices .index[data-symbol="${name}"] .value`, q ? vi(num(q.lastPrice), 2) : "—", `index ${name}`);
      if (!q) await waitText(`#indices .index[data-symbol="${name}"] .change`, "gateway chưa cung cấp", `index ${name} state`);
    }
    checked.push(`indices (${indexItems.size} of ${indexNames.length} served)`);

    // ---- breadth: SubscribeMarket's snapshot, or the waiting state ------------------------
    const market = gatewayStream("SubscribeMarket", { symbols: ["HOSE"] }, 4).find((e) => e.market);
    if (market) {
      await waitText('#breadth .figure[data-key="advancers"] dd', vi(market.market.advancers || 0), "HOSE advancers");
      await waitText('#breadth .figure[data-key="decliners"] dd', vi(market.market.decliners || 0), "HOSE decliners");
      const gainer = (market.market.topGainers || [])[0];
      if (gainer) await waitText('#breadth [data-key="gainers"] tr:first-child td.sym', gainer.symbol, "top gainer");
      checked.push("breadth (HOSE counts, top gainer)");
    } else {
      await waitText("#breadth p.state", "Chưa có dữ liệu độ rộng cho HOSE (dịch vụ analytics công bố stock-market)", "breadth waiting");
      checked.push("breadth (the gateway serves none yet: waiting state)");
    }

    // ---- daily chart against GetHistory ------------------------------------------------------
    const history = gateway("GetHistory", { symbol: "FPT" });
    const bars = history.history.bars;
    await waitFor((n) => daily.series.candles.data().length === n && !daily.pending, bars.length,
                  `daily chart with ${bars.length} enriched candles`);
    const seriesCount = (key, field) => [key, bars.filter((b) => b.indicators[field] !== undefined &&
                                                             b.indicators[field] !== null).length];
    for (const [key, n] of [seriesCount("sma20", "smaShort"), seriesCount("sma50", "smaMedium"),
                            seriesCount("sma200", "smaLong"), seriesCount("bbUpper", "bbUpper"),
                            seriesCount("macd", "macd"), seriesCount("macdHist", "macdHist"),
                            seriesCount("rsi", "rsi"), seriesCount("stochK", "stochK"),
                            seriesCount("cumulative", "cumulativeReturn")]) {
      const shown = await page.evaluate((k) => daily.series[k].data().filter((p) => p.value !== undefined).length, key);
      if (shown !== n) fail(`daily ${key}: ${shown} points, the gateway has ${n}`);
      if (n === 0) fail(`the gateway's history has no ${key}`);
    }
    if (await page.evaluate(() => daily.series.volume.data().length) !== bars.length) fail("volume bars");
    if (await page.evaluate(() => daily.chart.panes().length) !== 5) fail("daily panes");
    const last = bars[bars.length - 1];
    const legend = (key) => page.textContent(`#daily-legend [data-key="${key}"]`);
    const p = (v) => v === undefined || v === null ? "—" : vi(v, Math.abs(v) < 1000 ? 2 : 0);
    const expectLegend = async (bar) => {
      const i = bar.indicators;
      const want = { date: `date ${dateKey(bar.bar.date)}`, C: `C ${vi(num(bar.bar.close))}`,
                     V: `V ${vi(Number(bar.bar.volume))}`, SMA20: `SMA20 ${p(i.smaShort)}`,
                     SMA50: `SMA50 ${p(i.smaMedium)}`, SMA200: `SMA200 ${p(i.smaLong)}`,
                     RSI: `RSI ${p(i.rsi)}`, MACD: `MACD ${p(i.macd)} / ${p(i.macdSignal)} / ${p(i.macdHist)}`,
                     "%K/%D": `%K/%D ${p(i.stochK)} / ${p(i.stochD)}` };
      for (const [key, value] of Object.entries(want)) {
        await waitText(`#daily-legend [data-key="${key}"]`, value, `legend ${key}`);
      }
    };
    await expectLegend(last);
    // The crosshair: the legend follows the mouse to another bar.
    const box = await (await page.$("#daily-chart")).boundingBox();
    await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.25);
    await waitFor((d) => !document.querySelector('#daily-legend [data-key="date"]').textContent.endsWith(d),
                  dateKey(last.bar.date), "crosshair moves the legend");
    const hovered = (await legend("date")).replace("date ", "");
    const hoveredBar = bars.find((b) => dateKey(b.bar.date) === hovered);
    if (!hoveredBar) fail(`crosshair on ${hovered}: not a bar of the gateway's history`);
    await expectLegend(hoveredBar);
    // Zoom (wheel) and pan (drag) change the visible range.
    const range = () => page.evaluate(() => daily.chart.timeScale().getVisibleLogicalRange());
    const before = await range();
    await page.mouse.wheel(0, -400);
    await waitFor((b) => { const r = daily.chart.timeScale().getVisibleLogicalRange(); return r.to - r.from < b.to - b.from - 1; },
                  before, "wheel zooms in");
    const zoomed = await range();
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.25, { steps: 8 });
    await page.mouse.up();
    await waitFor((z) => daily.chart.timeScale().getVisibleLogicalRange().from < z.from - 1, zoomed, "drag pans");
    await page.mouse.move(box.x + box.width + 50, box.y - 50);  // Off the chart: the newest bar again.
    await expectLegend(last);
    // Performance figures.
    const perf = history.history.performance;
    const pct = (f) => f === undefined || f === null ? "—" : `${vi(f * 100, 2)} %`;
    await waitText('#performance [data-key="totalReturn"] dd', pct(perf.totalReturn), "total return");
    await waitText('#performance [data-key="volatility"] dd', pct(perf.annualizedVolatility), "volatility");
    await waitText('#performance [data-key="maxDrawdown"] dd', pct(perf.maxDrawdown), "max drawdown");
    await waitText('#performance [data-key="sharpe"] dd', perf.sharpeRatio === undefined ? "—" : vi(perf.sharpeRatio, 2), "sharpe");
    await waitText("#history-source", history.delivery === "DELIVERY_VNSTOCK_FALLBACK" ? "VNStock" : "Kafka Live", "history delivery");
    checked.push(`daily chart (${bars.length} candles, 9 indicator series, 5 panes, legend, crosshair, zoom, pan), performance`);

    // ---- intraday chart against GetIntradayBars ----------------------------------------------
    const intradayBars = gateway("GetIntradayBars", { symbol: "FPT" }).bars;
    if (intradayBars.length < 10) fail(`the gateway has ${intradayBars.length} intraday bars`);
    await waitFor((n) => intraday.candles.data().length === n, intradayBars.length, `${intradayBars.length} intraday candles`);
    const lastBar = intradayBars[intradayBars.length - 1];
    await waitText('#intraday-legend [data-key="C"]', `C ${vi(num(lastBar.close))}`, "intraday close");
    // Session shading: every minute 09:00-14:45, Vietnam time; "now" at
    // the market's clock (FPT's quote time).
    if (await page.evaluate(() => intraday.shading.data().length) !== 346) fail("session shading");
    const now = new Date(Date.parse(bySymbol.get("FPT").quote.exchangeTime) + 7 * 3600e3).toISOString().slice(11, 16);
    await waitText('#intraday-legend [data-key="hiện tại"]', `hiện tại ${now}`, "now marker");
    if (await page.evaluate(() => intraday.now.data().length) !== 1) fail("no now marker");
    checked.push(`intraday (${intradayBars.length} candles, sessions, now ${now})`);

    // ---- live feed ------------------------------------------------------------------------------
    await waitFor((price) => [...document.querySelectorAll('#feed li[data-symbol="FPT"] .price')].some((n) => n.textContent === price),
                  vi(num(bySymbol.get("FPT").quote.lastPrice)), "FPT in the live feed");
    // FPT's signals (SubscribeSignals' snapshot) with their descriptions.
    const signals = gatewayStream("SubscribeSignals", { symbols: ["FPT"] }, 4).filter((e) => e.signal);
    for (const { signal } of signals) {
      await waitFor((d) => [...document.querySelectorAll('#feed li.signal[data-symbol="FPT"] span')]
        .some((n) => n.textContent === d), signal.description, `signal "${signal.description}" in the feed`);
    }
    checked.push(`live feed (FPT's quote, ${signals.length} signals)`);

    // ---- history range: GetCandles from the history store ---------------------------------------
    // The page asks [start, end) in whole days, Vietnam time: end is the day
    // after the newest history bar (2019-06-14), start that many months
    // before it.
    const candleBar = (c) => ({ bar: { date: c.tradingDate, close: c.close, volume: c.volume },
                                indicators: c.indicators || {} });
    const rangeEnd = "2019-06-14T17:00:00Z";
    for (const [range, start] of [["1M", "2019-05-14T17:00:00Z"], ["1Y", "2018-06-14T17:00:00Z"],
                                  ["5Y", "2014-06-14T17:00:00Z"]]) {
      const answer = gateway("GetCandles", { symbol: "FPT", interval: "BAR_INTERVAL_ONE_DAY", start,
                                             end: rangeEnd, withIndicators: true });
      if (answer.error) fail(`GetCandles ${range}: ${JSON.stringify(answer.error)}`);
      const candles = answer.candles;
      if (answer.nextPageToken) fail(`GetCandles ${range}: more than one page`);
      await waitFor(() => !document.querySelector(`.range button[data-range="5Y"]`).disabled, null,
                    "range buttons enabled");
      await page.click(`.range button[data-range="${range}"]`);
      await waitFor((n) => daily.series.candles.data().length === n, candles.length,
                    `${range}: ${candles.length} candles`);
      const first = await page.evaluate(() => daily.series.candles.data()[0]);
      if (first.time !== dateKey(candles[0].tradingDate) || first.close !== num(candles[0].close)) {
        fail(`${range}: first candle ${JSON.stringify(first)}, the gateway's ${JSON.stringify(candles[0])}`);
      }
      await expectLegend(candleBar(candles[candles.length - 1]));
      await waitText("#range-note", `${range}: ${candles.length} nến từ kho lịch sử (GetCandles)`,
                     `${range} note`);
      checked.push(`range ${range} (${candles.length} candles from ${dateKey(candles[0].tradingDate)})`);
    }
    await page.click('.range button[data-range="live"]');
    await waitFor((n) => daily.series.candles.data().length === n, bars.length, "back to the stream's window");
    await waitFor((n) => { const r = daily.chart.timeScale().getVisibleLogicalRange(); return r.from <= 0.5 && r.to >= n - 1.5; },
                  bars.length, "the stream's window fitted, not left at the 5Y zoom");
    await page.screenshot({ path: path.join(outputs, "dashboard-vi.png"), fullPage: true });

    // ---- search over ListSymbols --------------------------------------------------------------------
    // What the page must list: a symbol or name containing "C", symbols
    // starting with it first, then by symbol; the first 50 and the count.
    const listed = gateway("ListSymbols", {}).symbols
      .filter((s) => s.symbol.includes("C") || (s.name || "").toUpperCase().includes("C"))
      .sort((a, b) => (b.symbol.startsWith("C") - a.symbol.startsWith("C")) ||
                      (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
    if (!listed.length) fail("ListSymbols has no symbol with a C");
    const expected = listed.slice(0, 50).map((s) => s.symbol);
    await page.fill("#search", "c");
    await waitFor((want) => [...document.querySelectorAll("#search-results .result")]
      .map((n) => n.dataset.symbol).join() === want, expected.join(), `search "c": ${expected}`);
    await waitText("#search-results > .note", `${expected.length}/${listed.length} mã`, "search count");
    await page.press("#search", "Escape");
    checked.push(`search ("c": ${listed.length} symbols)`);

    // ---- watch list: add CTD (fallback), remove SSI, kept across a reload ----------------------------
    await page.fill("#watch-input", "ctd");
    await page.click('#watch-form button[type="submit"]');
    await page.click('#board tr[data-symbol="SSI"] button.remove');
    const ctd = '#board tr[data-symbol="CTD"]';
    await waitFor((s) => /\d/.test((document.querySelector(s + ' td[data-col="last"]') || {}).textContent || ""),
                  ctd, "CTD priced after adding it");
    await page.reload();
    await waitFor((s) => /\d/.test((document.querySelector(s + ' td[data-col="last"]') || {}).textContent || ""),
                  ctd, "CTD still there after a reload");
    if (await page.$('#board tr[data-symbol="SSI"]')) fail("SSI came back after the reload");
    const ctdQuote = gateway("GetQuotes", { symbols: ["CTD"] }).items[0];
    await waitText(`${ctd} td[data-col="last"]`, vi(num(ctdQuote.quote.lastPrice)), "CTD last");
    await waitText(`${ctd} td[data-col="source"]`, "VNStock", "CTD delivery");
    // The search now finds it too, and opens it.
    await page.fill("#search", "CTD");
    await waitFor(() => document.querySelector('#search-results .result[data-symbol="CTD"]'), null, "search finds CTD");
    await page.click('#search-results .result[data-symbol="CTD"] button.show');
    await waitText("#focus-panel .focus-name", "CTD", "focus from the search");
    // What the watch list refuses, and says why: not a ticker, a duplicate,
    // more than 50 (the limit set on the page's list; nothing is saved).
    const refuse = async (input, expected) => {
      await page.fill("#watch-input", input);
      await page.click('#watch-form button[type="submit"]');
      await waitText("#watch-note", expected, `watch list refuses "${input}"`);
    };
    await refuse("1", "1: không phải mã hợp lệ");
    await refuse("fpt", "FPT đã có trong danh mục");
    const kept = await page.evaluate(() => { const w = state.watch; state.watch = Array.from({ length: 50 }, (_, i) => `X${String(i).padStart(2, "0")}`); return w; });
    await refuse("VNM", "Danh mục đã đủ 50 mã");
    if (await page.evaluate(() => state.watch.length) !== 50) fail("the full watch list grew");
    await page.evaluate((w) => { state.watch = w; }, kept);
    // The server refuses more than 100 symbols per stream (no silent cut).
    const many = Array.from({ length: 101 }, (_, i) => `Y${String(i).padStart(3, "0")}`).join(",");
    // (The context's request API: the session cookie, and the test CA's HTTPS.)
    const tooMany = await api.get(`${server.url}api/events?symbols=${many}`);
    if (tooMany.status() !== 400) fail(`101 symbols: HTTP ${tooMany.status()}`);
    checked.push("watch list (add, remove, reload; refuses invalid, duplicate, the 51st), search opens a symbol");

    // ---- unavailable: VNStock fails (the sim answers 500), then recovers ------------------------------
    // VNM is in the sim's CSV but not ingested: only the gateway's fallback
    // can fetch it, and while the sim's price board fails it cannot.
    await sim("POST", { route: "price_board", kind: "http_500" });
    await page.fill("#watch-input", "VNM");
    await page.click('#watch-form button[type="submit"]');
    const vnm = '#board tr[data-symbol="VNM"]';
    await waitText(`${vnm} td[data-col="ref"]`, "tạm thời không có dữ liệu", "VNM unavailable");
    await page.screenshot({ path: path.join(outputs, "unavailable.png") });
    await sim("DELETE");
    let vnmQuote = null;
    for (const deadline = Date.now() + timeout; !vnmQuote && Date.now() < deadline;) {
      const answer = gateway("GetQuotes", { symbols: ["VNM"] });
      vnmQuote = answer.items && answer.items.length ? answer.items[0].quote : null;
      if (!vnmQuote) await new Promise((r) => setTimeout(r, 1000));  // The gateway's error TTL.
    }
    if (!vnmQuote) fail("VNM: no quote after the sim recovered");
    await waitText(`${vnm} td[data-col="last"]`, vi(num(vnmQuote.lastPrice)), "VNM after VNStock recovered");
    await waitText(`${vnm} td[data-col="source"]`, "VNStock", "VNM delivery");
    checked.push("unavailable (the sim's price board failing) and recovery");

    // ---- not found -------------------------------------------------------------------------------
    await page.fill("#search", "ZZZZ");
    await page.press("#search", "Enter");
    await waitFor(() => document.querySelector("#focus-state").dataset.state === "NOT_FOUND", null, "ZZZZ not found");
    const notFound = await text("#focus-state");
    if (!notFound.startsWith("ZZZZ: không tìm thấy")) fail(`not-found text: ${notFound}`);
    await page.screenshot({ path: path.join(outputs, "not-found.png") });
    await page.click('#board tr[data-symbol="FPT"] th.sym');
    await waitFor((n) => daily.series.candles.data().length === n, bars.length, "back to FPT");
    checked.push("not found");

    // ---- language switch ---------------------------------------------------------------------------
    const fpt = bySymbol.get("FPT").quote;
    await page.click('.lang button[data-lang="en"]');
    await waitText("#overview h2", "Market overview", "English title");
    await waitText("#board thead th[data-i18n=symbol]", "Symbol", "English board");
    await waitText('#board tr[data-symbol="FPT"] td[data-col="last"]', format(num(fpt.lastPrice), 0, "en"), "en-US price");
    await waitText('#board tr[data-symbol="FPT"] td[data-col="pct"]', signed(num(fpt.percentChange), 2, "en"), "en-US percent");
    await waitText('#board tr[data-symbol="GVR"] td[data-col="ref"]', "not found", "English not-found");
    if (await page.getAttribute("html", "lang") !== "en") fail("html lang");
    await page.screenshot({ path: path.join(outputs, "dashboard-en.png"), fullPage: true });
    await page.click('.lang button[data-lang="vi"]');
    await waitText('#board tr[data-symbol="FPT"] td[data-col="last"]', vi(num(fpt.lastPrice)), "vi-VN price again");
    checked.push("language switch (vi-VN 1.234,5 / en-US 1,234.5)");

    // ---- disconnected: the server dies, the banner shows; it comes back, the page recovers ------------
    serverDown = true;
    await stopServer(server.child);
    await waitFor(() => !document.querySelector("#banner").hidden &&
                        document.querySelector("#banner").dataset.kind === "disconnected", null, "disconnected banner");
    if (!(await text("#banner")).startsWith("Mất kết nối")) fail("banner text");
    await page.screenshot({ path: path.join(outputs, "disconnected.png") });
    // The page keeps what it had while disconnected.
    await waitText('#board tr[data-symbol="FPT"] td[data-col="last"]', vi(num(fpt.lastPrice)), "price kept while down");
    server = await startServer(port);
    // Sessions live in the server's memory: sign in again, as a user would
    // (the context's cookie jar is the page's: its reconnects carry it).
    const again = await api.post(url + "login", { form: { password },
      headers: { Origin: new URL(url).origin }, maxRedirects: 0 });
    if (again.status() !== 303) fail(`sign-in after the restart: ${again.status()}`);
    await waitFor(() => document.querySelector("#banner").hidden &&
                        document.querySelector("#connection").dataset.state === "live", null, "recovery");
    serverDown = false;
    // Live again: events arrive on the new stream (gateway heartbeats or data).
    const since = await page.evaluate(() => state.lastMessage);
    await waitFor((t) => state.lastMessage > t, since, "events after the reconnect");
    checked.push("disconnected banner and recovery");

    if (errors.length) fail("page errors: " + errors.join("; "));
    console.log(`PASS: ${checked.join("; ")}`);
  } finally {
    await browser.close();
    await stopServer(server.child);
  }
})().catch((e) => {
  console.error("FAIL: " + (e.stack || String(e)));
  process.exit(1);
});

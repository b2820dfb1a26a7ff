// vnstream dashboard: cards for the watch list, intraday and daily charts of
// the selected symbol, all fed by one Server-Sent-Events stream (server.py).
"use strict";

const WATCH = ["FPT", "SSI", "VCB", "VHM", "HPG", "GAS", "MSN", "MWG", "GVR", "VIC"];
const state = { focus: "FPT", quotes: {}, statuses: {}, bars: new Map(), history: [], source: null };
// What a card without a quote says for the gateway's SymbolStatus.
const STATUS_TEXT = { SYMBOL_STATE_NOT_FOUND: "not found", SYMBOL_STATE_UNAVAILABLE: "unavailable",
                      SYMBOL_STATE_INVALID: "not a ticker" };

// vnstream.v1.Decimal -> Number (display only; the wire value is exact).
const num = (d) => d ? Number(d.units || 0) + Number(d.nanos || 0) / 1e9 : NaN;
const vnd = (x) => isNaN(x) ? "—" : x.toLocaleString("en-US", { maximumFractionDigits: 2 });
const label = (delivery) => delivery === "DELIVERY_VNSTOCK_FALLBACK" ? "VNStock" : "Kafka Live";
const svgNS = "http://www.w3.org/2000/svg";

function el(parent, tag, attrs) {
  const node = document.createElementNS(svgNS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  parent.appendChild(node);
  return node;
}

function renderCard(symbol) {
  let card = document.querySelector(`.card[data-symbol="${symbol}"]`);
  if (!card) {
    card = document.createElement("div");
    card.className = "card";
    card.dataset.symbol = symbol;
    card.innerHTML = `<div class="symbol">${symbol} <span class="badge source"></span></div>
      <div class="price">—</div><div class="change"></div><div class="meta"></div>`;
    card.onclick = () => focus(symbol);
    document.getElementById("cards").appendChild(card);
  }
  card.classList.toggle("selected", symbol === state.focus);
  const item = state.quotes[symbol];
  const status = state.statuses[symbol];
  const missing = !item && status !== undefined && STATUS_TEXT[status.state] !== undefined;
  card.classList.toggle("missing", missing);
  if (!item) {
    card.querySelector(".price").textContent = missing ? STATUS_TEXT[status.state] : "—";
    card.querySelector(".meta").textContent = missing ? status.message || "" : "";
    return;
  }
  const q = item.quote;
  const change = num(q.change);
  card.querySelector(".price").textContent = vnd(num(q.last_price)) + " ₫";
  const changeEl = card.querySelector(".change");
  changeEl.textContent = isNaN(change) ? "" :
    `${change >= 0 ? "+" : ""}${vnd(change)} (${num(q.percent_change).toFixed(2)}%)`;
  changeEl.className = "change " + (change >= 0 ? "up" : "down");
  const badge = card.querySelector(".source");
  badge.textContent = label(item.delivery);
  badge.className = "badge source " + (item.delivery === "DELIVERY_VNSTOCK_FALLBACK" ? "vnstock" : "kafka");
  card.querySelector(".meta").textContent =
    `vol ${Number(q.total_volume || 0).toLocaleString("en-US")} · #${q.meta.seq} · ` +
    `${(q.meta.source || "").replace("SOURCE_", "")}`;
}

// Candles plus optional line overlays, scaled to the SVG's viewBox.
function drawCandles(svg, candles, overlays) {
  svg.replaceChildren();
  if (!candles.length) return;
  const w = 1000, h = Number(svg.getAttribute("viewBox").split(" ")[3]);
  let lo = Infinity, hi = -Infinity;
  for (const c of candles) { lo = Math.min(lo, c.l); hi = Math.max(hi, c.h); }
  for (const o of overlays) for (const v of o.values) if (!isNaN(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const pad = (hi - lo) * 0.05 || 1;
  lo -= pad; hi += pad;
  const x = (i) => (i + 0.5) * w / candles.length;
  const y = (v) => h - (v - lo) / (hi - lo) * h;
  const bw = Math.max(1, w / candles.length * 0.7);
  candles.forEach((c, i) => {
    const cls = c.c >= c.o ? "up candle" : "down candle";
    el(svg, "line", { x1: x(i), x2: x(i), y1: y(c.h), y2: y(c.l), class: cls });
    el(svg, "rect", { x: x(i) - bw / 2, width: bw, y: y(Math.max(c.o, c.c)),
                      height: Math.max(1, Math.abs(y(c.o) - y(c.c))), class: cls });
  });
  for (const o of overlays) drawLine(svg, o.values, x, y, o.cls);
}

function drawLine(svg, values, x, y, cls) {
  let d = "";
  values.forEach((v, i) => { if (!isNaN(v)) d += (d ? "L" : "M") + x(i).toFixed(1) + "," + y(v).toFixed(1); });
  if (d) el(svg, "path", { d, class: cls });
}

function drawPanel(svg, series, lo, hi, guides) {
  svg.replaceChildren();
  const n = series[0].values.length;
  if (!n) return;
  const w = 1000, h = Number(svg.getAttribute("viewBox").split(" ")[3]);
  const x = (i) => (i + 0.5) * w / n;
  const y = (v) => h - (v - lo) / (hi - lo) * h;
  for (const g of guides) el(svg, "line", { x1: 0, x2: w, y1: y(g), y2: y(g), class: "guide" });
  for (const s of series) drawLine(svg, s.values, x, y, s.cls);
}

function renderIntraday() {
  const bars = [...state.bars.values()].sort((a, b) => a.t - b.t);
  drawCandles(document.getElementById("intraday"), bars, []);
}

function renderHistory() {
  const bars = state.history;
  const candles = bars.map((b) => ({ o: num(b.bar.open), h: num(b.bar.high), l: num(b.bar.low), c: num(b.bar.close) }));
  const ind = (k) => bars.map((b) => b.indicators && b.indicators[k] !== undefined ? b.indicators[k] : NaN);
  drawCandles(document.getElementById("daily"), candles, [
    { values: ind("sma_short"), cls: "sma20" }, { values: ind("sma_medium"), cls: "sma50" },
    { values: ind("bb_upper"), cls: "band" }, { values: ind("bb_lower"), cls: "band" }]);
  drawPanel(document.getElementById("rsi"), [{ values: ind("rsi"), cls: "line" }], 0, 100, [30, 50, 70]);
  const macd = ind("macd"), signal = ind("macd_signal");
  const all = macd.concat(signal).filter((v) => !isNaN(v));
  const m = all.length ? Math.max(...all.map(Math.abs)) * 1.1 : 1;
  drawPanel(document.getElementById("macd"), [{ values: macd, cls: "line" }, { values: signal, cls: "signal" }], -m, m, [0]);
}

function renderPerformance(p) {
  const pct = (v) => v === undefined ? "—" : (v * 100).toFixed(2) + " %";
  document.getElementById("performance").innerHTML =
    `<div><dt>Total return</dt><dd>${pct(p.total_return)}</dd></div>` +
    `<div><dt>Volatility (annual)</dt><dd>${pct(p.annualized_volatility)}</dd></div>` +
    `<div><dt>Sharpe</dt><dd>${p.sharpe_ratio === undefined ? "—" : p.sharpe_ratio.toFixed(2)}</dd></div>` +
    `<div><dt>Max drawdown</dt><dd>${pct(p.max_drawdown)}</dd></div>`;
}

function setBadge(id, delivery) {
  const b = document.getElementById(id);
  b.textContent = label(delivery);
  b.className = "badge " + (delivery === "DELIVERY_VNSTOCK_FALLBACK" ? "vnstock" : "kafka");
}

function onMessage(msg) {
  const e = msg.event;
  if (!e) return;
  if (msg.stream === "quotes" && e.status && e.status.symbol) {
    state.statuses[e.status.symbol] = e.status;
    renderCard(e.status.symbol);
  } else if (msg.stream === "quotes" && e.quote) {
    state.quotes[e.quote.meta.symbol] = { quote: e.quote, delivery: e.delivery };
    renderCard(e.quote.meta.symbol);
  } else if (msg.stream === "bars" && e.bar && e.bar.meta.symbol === state.focus) {
    const b = e.bar;
    state.bars.set(b.start_time, { t: Date.parse(b.start_time), o: num(b.open), h: num(b.high), l: num(b.low), c: num(b.close) });
    setBadge("bars-source", e.delivery);
    renderIntraday();
  } else if (msg.stream === "history" && e.history && e.history.meta.symbol === state.focus) {
    const u = e.history;
    if (u.full) {
      state.history = u.bars || [];
    } else {
      const byDate = new Map(state.history.map((b) => [JSON.stringify(b.bar.date), b]));
      for (const b of u.bars || []) byDate.set(JSON.stringify(b.bar.date), b);
      state.history = [...byDate.values()];
    }
    setBadge("history-source", e.delivery);
    renderHistory();
    renderPerformance(u.performance || {});
  }
}

function connect() {
  if (state.source) state.source.close();
  state.bars = new Map();
  state.history = [];
  document.querySelectorAll(".focus-name").forEach((n) => { n.textContent = state.focus; });
  const source = new EventSource(`/api/events?symbols=${WATCH.join(",")}&focus=${state.focus}`);
  const status = document.getElementById("connection");
  source.onopen = () => { status.textContent = "live"; status.className = "badge kafka"; };
  source.onerror = () => { status.textContent = "reconnecting…"; status.className = "badge"; };
  source.onmessage = (m) => onMessage(JSON.parse(m.data));
  state.source = source;
}

function focus(symbol) {
  state.focus = symbol;
  document.getElementById("focus").value = symbol;
  WATCH.forEach(renderCard);
  connect();
}

const select = document.getElementById("focus");
for (const s of WATCH) select.add(new Option(s, s));
select.onchange = () => focus(select.value);
WATCH.forEach(renderCard);
focus(state.focus);

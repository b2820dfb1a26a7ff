// vnstream dashboard: market overview (indices, breadth), the price board of
// the watch list (kept in this browser), symbol search, charts of the
// selected symbol and a live feed. Everything live comes over one
// Server-Sent-Events stream from server.py (/api/events), which relays the
// gateway's subscriptions; a dropped stream shows a banner and reconnects,
// keeping what the page has (the new snapshot is merged by sequence number).
"use strict";

const DEFAULT_WATCH = ["FPT", "SSI", "VCB", "VHM", "HPG", "GAS", "MSN", "MWG", "GVR", "VIC"];
// The exchanges' indices, until the gateway lists INDEX instruments itself;
// listed ones are shown in this order (HOSE's first, as the boards do), the
// others after them by name.
const DEFAULT_INDICES = ["VNINDEX", "VN30", "HNXINDEX", "HNX30", "HNXUPCOMINDEX"];
const INDEX_ORDER = ["VNINDEX", "VN30", "VN100", "HNXINDEX", "HNX30", "UPCOMINDEX", "HNXUPCOMINDEX"];
const indexRank = (symbol) => { const i = INDEX_ORDER.indexOf(symbol); return i < 0 ? INDEX_ORDER.length : i; };
const SCOPES = ["HOSE", "HNX", "UPCOM", "VN30"];
const RANGES = { "1M": 1, "3M": 3, "6M": 6, "1Y": 12, "3Y": 36, "5Y": 60 };  // months
const TICKER = /^[A-Z0-9]{3,13}$/;
// The server takes 100 symbols per stream: watch list + indices + focus.
const MAX_WATCH = 50;
const MAX_INDICES = 20;
const FEED_ROWS = 60;
const STALE_MS = 45000;  // The gateway heartbeats every 15 s per stream.

const state = {
  watch: loadList("vnstream.watch", DEFAULT_WATCH).slice(0, MAX_WATCH),
  indices: DEFAULT_INDICES,
  focus: null,
  quotes: new Map(),     // symbol -> {quote, delivery}
  statuses: new Map(),   // "stream/symbol" -> SymbolState name
  seqs: new Map(),       // "stream/symbol" -> {seq, delivery}: drop replays
  bars: new Map(),       // start_time -> {t, o, h, l, c, v}
  history: [],           // EnrichedBar, oldest first
  historyInfo: null,     // {delivery, pending, performance}
  breadth: new Map(),    // scope -> MarketBreadth
  scope: "HOSE",
  range: "live",
  candles: null,         // {range, bars} of the selected range
  rangeProbe: null,      // null: not asked; {ok} or {ok: false, code}
  feed: [],
  source: null,
  attempts: 0,
  lastMessage: Date.now(),
};
state.focus = localStorage.getItem("vnstream.focus") || state.watch[0] || "FPT";

// ---- helpers ---------------------------------------------------------------

// vnstream.v1.Decimal -> Number (display only; the wire value is exact).
const num = (d) => d ? Number(d.units || 0) + Number(d.nanos || 0) / 1e9 : NaN;
const int = (x) => Number(x || 0);
const $ = (selector) => document.querySelector(selector);
const isFallback = (delivery) => delivery === "DELIVERY_VNSTOCK_FALLBACK";
const deliveryLabel = (delivery) => isFallback(delivery) ? "VNStock" : "Kafka Live";
const dateKey = (d) => `${d.year}-${String(d.month).padStart(2, "0")}-${String(d.day).padStart(2, "0")}`;

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

function loadList(key, fallback) {
  try {
    const list = JSON.parse(localStorage.getItem(key));
    if (Array.isArray(list) && list.every((s) => typeof s === "string")) return list;
  } catch (e) { /* A damaged entry: the defaults. */ }
  return [...fallback];
}

// Vietnamese price-board colours: ceiling, floor, reference, up, down.
function priceClass(price, q) {
  if (!q || Number.isNaN(price)) return "";
  if (price >= num(q.ceiling_price)) return "ceil";
  if (price <= num(q.floor_price)) return "floor";
  const ref = num(q.reference_price);
  return price === ref ? "ref" : price > ref ? "up" : "down";
}

function badge(node, delivery) {
  node.textContent = delivery ? deliveryLabel(delivery) : "";
  node.className = "badge " + (delivery ? (isFallback(delivery) ? "vnstock" : "kafka") : "");
}

// Drops events already applied (a resumed stream replays its snapshot):
// per stream and symbol, seq must grow unless the delivery path changed
// (its numbering starts over). `again`: the same seq may come again (a
// history's enriched version follows its PENDING one).
function fresh(stream, meta, delivery, again = false) {
  const key = `${stream}/${meta.symbol}`;
  const seq = int(meta.seq);
  const last = state.seqs.get(key);
  if (last && last.delivery === delivery && (seq < last.seq || (seq === last.seq && !again))) return false;
  state.seqs.set(key, { seq, delivery });
  return true;
}

// Rendering is batched per animation frame.
const dirty = new Set();
function schedule(...parts) {
  if (!dirty.size) requestAnimationFrame(render);
  parts.forEach((p) => dirty.add(p));
}
function render() {
  const parts = [...dirty];
  dirty.clear();
  for (const p of parts) renderers[p]();
}

// ---- the live stream ---------------------------------------------------------

function streamSymbols() {
  return [...new Set([...state.watch, ...state.indices, state.focus])];
}

function connect() {
  if (state.source) state.source.close();
  const params = new URLSearchParams({ symbols: streamSymbols().join(","), focus: state.focus,
                                       scopes: SCOPES.join(",") });
  const source = new EventSource(`/api/events?${params}`);
  state.source = source;
  setConnection(state.attempts ? "reconnecting" : "connecting");
  source.onopen = () => {
    state.attempts = 0;
    state.lastMessage = Date.now();
    setConnection("live");
  };
  source.onmessage = (m) => {
    state.lastMessage = Date.now();
    onMessage(JSON.parse(m.data));
  };
  // The browser's own retry gives up on an HTTP error; this one does not.
  source.onerror = () => {
    if (state.source !== source) return;
    source.close();
    state.source = null;
    state.attempts += 1;
    setConnection("disconnected");
    setTimeout(connect, Math.min(1000 * 2 ** (state.attempts - 1), 10000));
  };
}

function setConnection(kind) {
  const status = $("#connection");
  status.dataset.state = kind;
  status.textContent = I18N.t(kind === "disconnected" ? "reconnecting" : kind);
  status.className = "badge " + (kind === "live" ? "kafka" : "warn");
  const banner = $("#banner");
  if (kind === "disconnected") {
    banner.textContent = I18N.t("disconnected", { n: state.attempts });
    banner.dataset.kind = "disconnected";
    banner.hidden = false;
  } else if (kind === "live" || banner.dataset.kind !== "disconnected") {
    banner.hidden = true;
    banner.dataset.kind = "";
  }
}

function watchdog() {
  const idle = Date.now() - state.lastMessage;
  const banner = $("#banner");
  if (state.source && state.source.readyState === EventSource.OPEN && idle > STALE_MS) {
    banner.textContent = I18N.t("stale", { s: Math.round(idle / 1000) });
    banner.dataset.kind = "stale";
    banner.hidden = false;
  } else if (banner.dataset.kind === "stale" && idle <= STALE_MS) {
    banner.hidden = true;
    banner.dataset.kind = "";
  }
}

function onMessage(msg) {
  const e = msg.event;
  if (msg.error) {
    addFeed({ kind: "error", text: `${msg.stream}: ${msg.error}` });
    return;
  }
  if (!e) return;
  if (e.status) {
    const s = e.status;
    state.statuses.set(`${msg.stream}/${s.symbol}`, s.state.replace("SYMBOL_STATE_", ""));
    schedule("board", "indices", "focus");
    return;
  }
  if (e.quote) {
    const q = e.quote;
    if (!fresh("quotes", q.meta, e.delivery)) return;
    const previous = state.quotes.get(q.meta.symbol);
    state.quotes.set(q.meta.symbol, { quote: q, delivery: e.delivery });
    state.statuses.delete(`quotes/${q.meta.symbol}`);
    if (!previous || num(previous.quote.last_price) !== num(q.last_price) ||
        previous.quote.total_volume !== q.total_volume) {
      addFeed({ kind: "quote", quote: q, delivery: e.delivery });
    }
    schedule("board", "indices", "focus", "intraday");
  } else if (e.bar && e.bar.meta.symbol === state.focus) {
    const b = e.bar;
    state.bars.set(b.start_time, { t: Date.parse(b.start_time), o: num(b.open), h: num(b.high),
                                   l: num(b.low), c: num(b.close), v: int(b.volume) });
    state.barsDelivery = e.delivery;
    schedule("intraday");
  } else if (e.history && e.history.meta.symbol === state.focus) {
    const u = e.history;
    const pending = u.indicators_state === "INDICATORS_STATE_PENDING";
    if (!fresh("history", u.meta, e.delivery, !pending)) return;
    if (u.full) {
      state.history = u.bars || [];
    } else {
      const byDate = new Map(state.history.map((b) => [dateKey(b.bar.date), b]));
      for (const b of u.bars || []) byDate.set(dateKey(b.bar.date), b);
      state.history = [...byDate.values()].sort((a, b) => dateKey(a.bar.date) < dateKey(b.bar.date) ? -1 : 1);
    }
    state.historyInfo = { delivery: e.delivery, pending, performance: u.performance || {} };
    schedule("daily", "focus");
    if (state.rangeProbe === null) probeRange();
  } else if (e.market) {
    const m = e.market;
    if (!fresh("market", m.meta, e.delivery)) return;
    state.breadth.set(m.meta.symbol, m);
    schedule("breadth");
  } else if (e.signal) {
    if (!fresh("signals", e.signal.meta, e.delivery)) return;
    addFeed({ kind: "signal", signal: e.signal });
  }
}

// ---- overview: indices and breadth -----------------------------------------------

function renderIndices() {
  const box = $("#indices");
  box.replaceChildren(...state.indices.map((symbol) => {
    const item = state.quotes.get(symbol);
    const status = state.statuses.get(`quotes/${symbol}`);
    const tile = h("div", { class: "index", dataset: { symbol } }, h("div", { class: "name", text: symbol }));
    if (item) {
      const q = item.quote;
      const cls = priceClass(num(q.last_price), q) || "ref";
      tile.append(h("div", { class: `value ${cls}`, text: I18N.num(num(q.last_price), 2) }),
                  h("div", { class: `change ${cls}`, text: `${I18N.signed(num(q.change), 2)} (${I18N.signed(num(q.percent_change), 2)} %)` }));
      tile.onclick = () => setFocus(symbol);
    } else {
      tile.classList.add("missing");
      tile.append(h("div", { class: "value", text: "—" }),
                  h("div", { class: "change", text: status ? I18N.t("indexNotServed") : I18N.t("waiting") }));
    }
    return tile;
  }));
}

function renderBreadth() {
  const tabs = $("#scopes");
  tabs.replaceChildren(...SCOPES.map((scope) => h("button", {
    type: "button", role: "tab", class: scope === state.scope ? "selected" : "", text: scope,
    dataset: { scope }, onclick: () => { state.scope = scope; renderBreadth(); } })));
  const box = $("#breadth");
  const m = state.breadth.get(state.scope);
  if (!m) {
    box.replaceChildren(h("p", { class: "state", text: I18N.t("breadthWaiting", { scope: state.scope }) }));
    return;
  }
  const counts = { ceiling: m.ceiling || 0, up: (m.advancers || 0) - (m.ceiling || 0),
                   ref: m.unchanged || 0, down: (m.decliners || 0) - (m.floor || 0),
                   floor: m.floor || 0, none: m.no_trade || 0 };
  const total = Object.values(counts).reduce((a, b) => a + b, 0) || 1;
  const bar = h("div", { class: "breadth-bar" });
  for (const [cls, n] of Object.entries(counts)) {
    const seg = h("span", { class: `seg ${cls}` });
    seg.style.width = `${(100 * n) / total}%`;  // CSSOM, allowed by the CSP.
    bar.append(seg);
  }
  const figure = (key, value, cls = "") => h("div", { class: "figure", dataset: { key } },
    h("dt", { text: I18N.t(key) }), h("dd", { class: cls, text: value }));
  const net = num(m.foreign_net_value);
  const movers = (title, list, key) => h("div", { class: "movers", dataset: { key } },
    h("h4", { text: I18N.t(title) }),
    h("table", {}, h("tbody", {}, ...(list || []).slice(0, 5).map((x) => {
      const pct = num(x.percent_change);
      return h("tr", { onclick: () => setFocus(x.symbol), dataset: { symbol: x.symbol } },
        h("td", { class: "sym", text: x.symbol }),
        h("td", { text: I18N.price(num(x.last_price)) }),
        h("td", { class: pct > 0 ? "up" : pct < 0 ? "down" : "ref", text: `${I18N.signed(pct, 2)} %` }));
    }))));
  box.replaceChildren(
    bar,
    h("dl", { class: "figures" },
      figure("advancers", I18N.num(m.advancers || 0), "up"), figure("decliners", I18N.num(m.decliners || 0), "down"),
      figure("unchanged", I18N.num(m.unchanged || 0), "ref"), figure("ceiling", I18N.num(m.ceiling || 0), "ceil"),
      figure("floor", I18N.num(m.floor || 0), "floor"), figure("noTrade", I18N.num(m.no_trade || 0)),
      figure("totalValue", I18N.compact(num(m.total_value))),
      figure("foreignBuy", I18N.compact(int(m.foreign_buy_volume))),
      figure("foreignSell", I18N.compact(int(m.foreign_sell_volume))),
      figure("foreignNet", I18N.compact(net), net > 0 ? "up" : net < 0 ? "down" : "ref")),
    h("div", { class: "movers-row" }, movers("topGainers", m.top_gainers, "gainers"),
      movers("topLosers", m.top_losers, "losers")));
}

// ---- the price board -----------------------------------------------------------

const BOARD_COLUMNS = ["ref", "ceil", "floor", "b3", "b3v", "b2", "b2v", "b1", "b1v", "last", "lastv",
                       "change", "pct", "a1", "a1v", "a2", "a2v", "a3", "a3v", "high", "low", "total",
                       "fbuy", "fsell", "source"];

function boardRow(symbol) {
  const tbody = $("#board tbody");
  let row = tbody.querySelector(`tr[data-symbol="${symbol}"]`);
  if (!row) {
    row = h("tr", { dataset: { symbol } },
      h("th", { class: "sym", onclick: () => setFocus(symbol) }, symbol),
      ...BOARD_COLUMNS.map((c) => h("td", { dataset: { col: c } })),
      h("td", {}, h("button", { type: "button", class: "remove", text: "×",
                                onclick: () => removeWatch(symbol) })));
  }
  return row;
}

function renderBoard() {
  const tbody = $("#board tbody");
  const rows = state.watch.map((symbol) => {
    const row = boardRow(symbol);
    row.classList.toggle("selected", symbol === state.focus);
    row.querySelector(".remove").title = I18N.t("remove", { symbol });
    const cell = (c) => row.querySelector(`[data-col="${c}"]`);
    const set = (c, text, cls = "") => { const n = cell(c); n.textContent = text; n.className = cls; };
    const item = state.quotes.get(symbol);
    const status = state.statuses.get(`quotes/${symbol}`);
    row.classList.toggle("missing", !item);
    if (!item) {
      BOARD_COLUMNS.forEach((c) => set(c, ""));
      const text = { NOT_FOUND: "notFound", UNAVAILABLE: "unavailable", INVALID: "invalid" }[status] || "waiting";
      set("ref", I18N.t(text), "state " + (status || "").toLowerCase());
      return row;
    }
    const q = item.quote;
    const price = (c, d) => set(c, I18N.price(num(d)), priceClass(num(d), q));
    const level = (side, i) => {
      const l = (q[side] || [])[i - 1];
      const p = side === "bids" ? "b" : "a";
      if (!l) { set(`${p}${i}`, ""); set(`${p}${i}v`, ""); return; }
      price(`${p}${i}`, l.price);
      set(`${p}${i}v`, I18N.num(int(l.volume)), priceClass(num(l.price), q));
    };
    set("ref", I18N.price(num(q.reference_price)), "ref");
    set("ceil", I18N.price(num(q.ceiling_price)), "ceil");
    set("floor", I18N.price(num(q.floor_price)), "floor");
    [3, 2, 1].forEach((i) => level("bids", i));
    [1, 2, 3].forEach((i) => level("asks", i));
    const last = num(q.last_price);
    const cls = priceClass(last, q);
    set("last", I18N.price(last), cls);
    set("lastv", I18N.num(int(q.last_volume)), cls);
    set("change", I18N.signed(num(q.change)), cls);
    set("pct", I18N.signed(num(q.percent_change), 2), cls);
    price("high", q.high_price);
    price("low", q.low_price);
    set("total", I18N.num(int(q.total_volume)));
    set("fbuy", I18N.num(int(q.foreign_buy_volume)));
    set("fsell", I18N.num(int(q.foreign_sell_volume)));
    const source = cell("source");
    badge(source, item.delivery);
    source.title = (q.meta.source || "").replace("SOURCE_", "") + ` #${q.meta.seq}`;
    row.querySelector("th.sym").className = `sym ${cls}`;
    return row;
  });
  tbody.replaceChildren(...rows);
}

// ---- the watch list (this browser's localStorage) ----------------------------------

function saveWatch() {
  localStorage.setItem("vnstream.watch", JSON.stringify(state.watch));
  renderBoard();
  connect();
}

// Adds a ticker, or says on the page why not.
function addWatch(symbol) {
  symbol = symbol.trim().toUpperCase();
  const note = $("#watch-note");
  const problem = !TICKER.test(symbol) ? ["watchInvalid", { symbol }]
    : state.watch.includes(symbol) ? ["watchHave", { symbol }]
    : state.watch.length >= MAX_WATCH ? ["watchFull", { n: MAX_WATCH }] : null;
  note.textContent = problem ? I18N.t(...problem) : "";
  note.dataset.state = problem ? problem[0] : "";
  if (problem) return;
  state.watch.push(symbol);
  saveWatch();
}

function removeWatch(symbol) {
  state.watch = state.watch.filter((s) => s !== symbol);
  saveWatch();
}

// ---- the selected symbol: header, charts, performance --------------------------------

function setFocus(symbol) {
  symbol = symbol.trim().toUpperCase();
  if (!symbol) return;
  state.focus = symbol;
  localStorage.setItem("vnstream.focus", symbol);
  state.bars = new Map();
  state.history = [];
  state.historyInfo = null;
  state.candles = null;
  state.range = "live";
  daily.clear();
  intraday.clear();
  for (const key of [...state.seqs.keys()]) {
    if (!key.startsWith("quotes/") && !key.startsWith("market/")) state.seqs.delete(key);
  }
  schedule("board", "focus", "daily", "intraday", "range");
  connect();
}

function focusStatus() {
  for (const stream of ["quotes", "history", "bars"]) {
    const s = state.statuses.get(`${stream}/${state.focus}`);
    if (s && s !== "SUBSCRIBED") return s;
  }
  return null;
}

function renderFocus() {
  document.querySelectorAll(".focus-name").forEach((n) => { n.textContent = state.focus; });
  const header = $("#focus-quote");
  const item = state.quotes.get(state.focus);
  header.replaceChildren();
  if (item) {
    const q = item.quote;
    const last = num(q.last_price);
    const cls = priceClass(last, q);
    const sourceBadge = h("span", {});
    badge(sourceBadge, item.delivery);
    header.append(h("span", { class: `price ${cls}`, text: I18N.price(last) }),
                  h("span", { class: cls, text: ` ${I18N.signed(num(q.change))} (${I18N.signed(num(q.percent_change), 2)} %)` }),
                  h("span", { class: "note", text: ` ${(q.exchange || "").replace("EXCHANGE_", "")} · ${(q.meta.source || "").replace("SOURCE_", "")}` }),
                  " ", sourceBadge);
  }
  const status = focusStatus();
  const node = $("#focus-state");
  const hasData = item || state.history.length || state.bars.size;
  const key = { NOT_FOUND: "focusNotFound", UNAVAILABLE: "focusUnavailable", INVALID: "focusInvalid" }[status];
  if (key && !hasData) {
    node.textContent = I18N.t(key, { symbol: state.focus });
    node.dataset.state = status;
    node.hidden = false;
  } else if (!hasData) {
    node.textContent = I18N.t("focusWaiting", { symbol: state.focus });
    node.dataset.state = "WAITING";
    node.hidden = false;
  } else {
    node.hidden = true;
    node.dataset.state = "";
  }
  $("#focus-panel").classList.toggle("no-data", !hasData);
  renderPerformance();
}

function historyBars() {
  return state.history.map((b) => ({
    time: dateKey(b.bar.date), o: num(b.bar.open), h: num(b.bar.high), l: num(b.bar.low),
    c: num(b.bar.close), v: int(b.bar.volume), ind: b.indicators || {} }));
}

function renderDaily() {
  const info = state.historyInfo;
  badge($("#history-source"), info && state.range === "live" ? info.delivery : null);
  $("#indicators-state").hidden = !(info && info.pending && state.range === "live");
  if (state.range !== "live" && state.candles) {
    daily.setBars(state.candles.bars, false);
  } else if (state.history.length) {
    daily.setBars(historyBars(), info && info.pending);
  }
  renderRange();
}

function renderPerformance() {
  const p = (state.historyInfo && state.historyInfo.performance) || {};
  const figure = (key, value) => h("div", { dataset: { key } }, h("dt", { text: I18N.t(key) }), h("dd", { text: value }));
  $("#performance").replaceChildren(
    figure("totalReturn", I18N.percent(p.total_return)),
    figure("volatility", I18N.percent(p.annualized_volatility)),
    figure("sharpe", p.sharpe_ratio === undefined ? "—" : I18N.num(p.sharpe_ratio, 2)),
    figure("maxDrawdown", I18N.percent(p.max_drawdown)));
}

// The market's clock: the newest quote time of the selected symbol.
function marketNow() {
  const item = state.quotes.get(state.focus);
  if (!item) return null;
  const q = item.quote;
  return Date.parse(q.exchange_time || q.meta.fetched_at) || null;
}

function renderIntraday() {
  badge($("#bars-source"), state.bars.size ? state.barsDelivery : null);
  const bars = [...state.bars.values()].sort((a, b) => a.t - b.t);
  if (bars.length) intraday.setBars(bars, marketNow());
}

// ---- history range (GetCandles) ------------------------------------------------------

function rangeEnd() {
  const last = state.history[state.history.length - 1];
  const day = last ? new Date(Date.UTC(last.bar.date.year, last.bar.date.month - 1, last.bar.date.day))
                   : new Date();
  day.setUTCDate(day.getUTCDate() + 1);  // [start, end): the newest day included.
  return day;
}

function rangeQuery(range) {
  const end = rangeEnd();
  const start = new Date(end);
  start.setUTCMonth(start.getUTCMonth() - RANGES[range]);
  const iso = (d) => d.toISOString().slice(0, 10);
  return new URLSearchParams({ symbol: state.focus, start: iso(start), end: iso(end), interval: "1D" });
}

// Asks GetCandles once for a month: UNIMPLEMENTED (or no answer) keeps
// the range buttons disabled with the reason.
async function probeRange() {
  state.rangeProbe = { ok: false, code: "…" };
  try {
    const r = await fetch(`/api/candles?${rangeQuery("1M")}`);
    const body = await r.json();
    const code = body.error ? body.error.code : r.ok ? "OK" : r.status;
    state.rangeProbe = code === "OK" || code === "NOT_FOUND" ? { ok: true } : { ok: false, code };
  } catch (e) {
    state.rangeProbe = null;  // Ask again with the next history.
  }
  renderRange();
}

async function selectRange(range) {
  state.range = range;
  if (range === "live") {
    state.candles = null;
    daily.clear();  // The stream's window is fitted anew, not left at the range's zoom.
    renderDaily();
    return;
  }
  const r = await fetch(`/api/candles?${rangeQuery(range)}`);
  const body = await r.json();
  if (state.range !== range) return;
  const failed = !r.ok || body.error;
  const bars = (failed ? [] : body.candles || []).map((c) => ({
    time: dateKey(c.trading_date), o: num(c.open), h: num(c.high), l: num(c.low), c: num(c.close),
    v: int(c.volume), ind: c.indicators || {} }));
  state.candles = { range, bars, error: failed ? (body.error || body).code : null };
  daily.clear();
  renderDaily();
}

function renderRange() {
  const probe = state.rangeProbe;
  const enabled = probe && probe.ok;
  document.querySelectorAll(".range button").forEach((b) => {
    b.disabled = b.dataset.range !== "live" && !enabled;
    b.classList.toggle("selected", b.dataset.range === state.range);
  });
  const note = $("#range-note");
  if (probe && !probe.ok && state.history.length) {
    note.textContent = I18N.t("rangeDisabled", { code: probe.code, n: state.history.length });
    note.dataset.state = "disabled";
  } else if (state.candles) {
    note.textContent = I18N.t(state.candles.bars.length ? "rangeFrom" : "rangeEmpty",
                              { range: state.range, n: state.candles.bars.length });
    note.dataset.state = "range";
  } else {
    note.textContent = "";
    note.dataset.state = "";
  }
  document.querySelector(".range").title = note.textContent;
}

// ---- search (ListSymbols through server.py) -------------------------------------------

let searchTimer = null;
let searchSeq = 0;
async function search(text) {
  const seq = ++searchSeq;
  const box = $("#search-results");
  if (!text.trim()) { box.hidden = true; return; }
  let body;
  try {
    const r = await fetch(`/api/symbols?${new URLSearchParams({ q: text })}`);
    body = await r.json();
    if (body.error || !r.ok) throw new Error((body.error || body).message || (body.error || body).code);
  } catch (e) {
    body = { symbols: [], matched: 0, error: String(e.message || e) };
  }
  if (seq !== searchSeq) return;  // A newer search answered first.
  const rows = body.symbols.map((s) => h("div", { class: "result", dataset: { symbol: s.symbol } },
    h("span", { class: "sym", text: s.symbol }),
    h("span", { class: "name", text: s.name || "" }),
    h("span", { class: "note", text: [(s.exchange || "").replace("EXCHANGE_", ""),
                                      (s.instrument_type || "").replace("INSTRUMENT_TYPE_", "")]
                                     .filter((x) => x && x !== "UNSPECIFIED").join(" · ") }),
    h("button", { type: "button", class: "show", text: I18N.t("searchShow"),
                  onclick: () => { box.hidden = true; setFocus(s.symbol); } }),
    h("button", { type: "button", class: "add", text: I18N.t("searchAdd"),
                  onclick: () => { box.hidden = true; addWatch(s.symbol); } })));
  box.replaceChildren(...rows, h("div", { class: "note", text: body.error ||
    (rows.length ? I18N.t("searchMatched", { shown: rows.length, matched: body.matched })
                 : I18N.t("searchNone")) }));
  box.hidden = false;
}

// Indices the gateway lists (instrument type INDEX), else the defaults.
async function loadIndices() {
  try {
    const r = await fetch("/api/symbols?type=INDEX");
    const body = await r.json();
    if (!r.ok || body.error) return;
    const listed = body.symbols.map((s) => s.symbol);
    if (listed.length) {
      state.indices = listed.sort((a, b) => indexRank(a) - indexRank(b) || (a < b ? -1 : a > b ? 1 : 0))
        .slice(0, MAX_INDICES);
      schedule("indices");
      connect();
    }
  } catch (e) { /* The defaults stay. */ }
}

// ---- the live feed ---------------------------------------------------------------------

function addFeed(entry) {
  entry.at = Date.now();
  state.feed.unshift(entry);
  state.feed.length = Math.min(state.feed.length, FEED_ROWS);
  schedule("feed");
}

function renderFeed() {
  const list = $("#feed");
  if (!state.feed.length) {
    list.replaceChildren(h("li", { class: "note", text: I18N.t("feedEmpty") }));
    return;
  }
  list.replaceChildren(...state.feed.map((f) => {
    if (f.kind === "quote") {
      const q = f.quote;
      const when = Date.parse(q.exchange_time || q.meta.fetched_at);
      const cls = priceClass(num(q.last_price), q);
      const source = h("span", {});
      badge(source, f.delivery);
      return h("li", { class: "quote", dataset: { symbol: q.meta.symbol } },
        h("time", { text: I18N.time(new Date(when)) }), h("span", { class: "sym", text: q.meta.symbol }),
        h("span", { class: `price ${cls}`, text: I18N.price(num(q.last_price)) }),
        h("span", { class: cls, text: `${I18N.signed(num(q.percent_change), 2)} %` }),
        h("span", { class: "note", text: `${I18N.t("totalVol")} ${I18N.num(int(q.total_volume))}` }), source);
    }
    if (f.kind === "signal") {
      const s = f.signal;
      return h("li", { class: "signal", dataset: { symbol: s.meta.symbol } },
        h("time", { text: I18N.time(new Date(Date.parse(s.bar_start))) }),
        h("span", { class: "sym", text: s.meta.symbol }),
        h("span", { class: "badge signal", text: I18N.t("signal") }), h("span", { text: s.description }));
    }
    return h("li", { class: "error" }, h("time", { text: I18N.time(new Date(f.at)) }), h("span", { text: f.text }));
  }));
}

// ---- start -----------------------------------------------------------------------------

const renderers = { board: renderBoard, indices: renderIndices, breadth: renderBreadth, focus: renderFocus,
                    daily: renderDaily, intraday: renderIntraday, feed: renderFeed, range: renderRange };
const daily = new Charts.DailyChart($("#daily-chart"), $("#daily-legend"));
const intraday = new Charts.IntradayChart($("#intraday-chart"), $("#intraday-legend"));

function setLanguage(lang) {
  I18N.setLang(lang);
  I18N.apply();
  document.querySelectorAll(".lang button").forEach((b) => b.classList.toggle("selected", b.dataset.lang === lang));
  daily.relocalize();
  intraday.relocalize();
  if (state.source) setConnection(state.source.readyState === EventSource.OPEN ? "live" : "connecting");
  schedule(...Object.keys(renderers));
}

document.querySelectorAll(".lang button").forEach((b) => { b.onclick = () => setLanguage(b.dataset.lang); });
document.querySelectorAll(".range button").forEach((b) => { b.onclick = () => selectRange(b.dataset.range); });
$("#watch-form").onsubmit = (e) => {
  e.preventDefault();
  addWatch($("#watch-input").value);
  $("#watch-input").value = "";
};
$("#watch-reset").onclick = () => { state.watch = [...DEFAULT_WATCH]; saveWatch(); };
const searchInput = $("#search");
searchInput.oninput = () => { clearTimeout(searchTimer); searchTimer = setTimeout(() => search(searchInput.value), 200); };
searchInput.onkeydown = (e) => {
  if (e.key === "Enter" && searchInput.value.trim()) {
    clearTimeout(searchTimer);
    searchSeq += 1;  // Answers to earlier keystrokes are dropped.
    $("#search-results").hidden = true;
    setFocus(searchInput.value);
  } else if (e.key === "Escape") {
    $("#search-results").hidden = true;
  }
};
document.addEventListener("click", (e) => { if (!e.target.closest(".search")) $("#search-results").hidden = true; });
setInterval(watchdog, 5000);

setLanguage(I18N.lang);
connect();
loadIndices();

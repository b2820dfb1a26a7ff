// Vietnamese and English: the page's words and number, date and time
// formats. Vietnamese formats numbers as vi-VN (1.234,5), English as en-US
// (1,234.5); times are always Asia/Ho_Chi_Minh, the exchanges' time zone.
// Elements with data-i18n="key" (text) or data-i18n-title="key" (tooltip)
// are translated by I18N.apply(); code calls I18N.t("key", {name: value}).
"use strict";

const I18N = (() => {
  const words = {
    vi: {
      title: "vnstream — bảng giá chứng khoán Việt Nam",
      search: "Tìm mã hoặc tên công ty…",
      searchNone: "Không có mã nào khớp",
      searchMatched: "{shown}/{matched} mã",
      searchShow: "Xem",
      searchAdd: "+ Danh mục",
      live: "Trực tuyến",
      connecting: "Đang kết nối…",
      reconnecting: "Đang kết nối lại…",
      disconnected: "Mất kết nối với máy chủ bảng giá. Đang tự động kết nối lại (lần {n})…",
      stale: "Không nhận được dữ liệu từ gateway trong {s} giây; đang chờ…",
      overview: "Tổng quan thị trường",
      indices: "Chỉ số",
      indexNotServed: "gateway chưa cung cấp",
      breadth: "Độ rộng thị trường",
      breadthWaiting: "Chưa có dữ liệu độ rộng cho {scope} (dịch vụ analytics công bố stock-market)",
      advancers: "Tăng",
      decliners: "Giảm",
      unchanged: "Đứng giá",
      ceiling: "Trần",
      floor: "Sàn",
      noTrade: "Chưa khớp",
      totalValue: "Giá trị khớp",
      foreignNet: "Khối ngoại ròng",
      foreignBuy: "NN mua",
      foreignSell: "NN bán",
      topGainers: "Tăng mạnh nhất",
      topLosers: "Giảm mạnh nhất",
      board: "Bảng giá — danh mục theo dõi",
      addSymbol: "Thêm mã",
      add: "Thêm",
      remove: "Bỏ {symbol} khỏi danh mục",
      reset: "Mặc định",
      watchInvalid: "{symbol}: không phải mã hợp lệ",
      watchHave: "{symbol} đã có trong danh mục",
      watchFull: "Danh mục đã đủ {n} mã",
      symbol: "Mã",
      ref: "TC",
      bid: "Bên mua",
      ask: "Bên bán",
      matched: "Khớp lệnh",
      price: "Giá",
      vol: "KL",
      change: "+/-",
      pct: "%",
      high: "Cao",
      low: "Thấp",
      totalVol: "Tổng KL",
      foreign: "Nước ngoài",
      source: "Nguồn",
      notFound: "không tìm thấy",
      unavailable: "tạm thời không có dữ liệu",
      invalid: "mã không hợp lệ",
      waiting: "đang chờ dữ liệu",
      daily: "Biểu đồ ngày",
      intraday: "Trong phiên (1 phút)",
      sessions: "Phiên: ATO · sáng · nghỉ trưa · chiều · ATC (giờ Việt Nam)",
      now: "hiện tại",
      session_ato: "ATO", session_morning: "phiên sáng", session_lunch: "nghỉ trưa",
      session_afternoon: "phiên chiều", session_atc: "ATC",
      range: "Khoảng",
      rangeLive: "Luồng",
      rangeDisabled: "Gateway chưa phục vụ GetCandles ({code}): đang hiển thị cửa sổ {n} ngày của luồng lịch sử",
      rangeFrom: "{range}: {n} nến từ kho lịch sử (GetCandles)",
      rangeEmpty: "{range}: kho lịch sử không có nến trong khoảng này",
      indicatorsPending: "chỉ báo đang tính",
      performance: "Hiệu suất",
      totalReturn: "Tổng lợi nhuận",
      volatility: "Biến động (năm)",
      sharpe: "Sharpe",
      maxDrawdown: "Sụt giảm tối đa",
      cumulative: "Lợi nhuận lũy kế",
      feed: "Dòng sự kiện",
      feedEmpty: "Chưa có sự kiện",
      focusNotFound: "{symbol}: không tìm thấy. Kafka và VNStock đều không biết mã này.",
      focusUnavailable: "{symbol}: tạm thời không có dữ liệu (VNStock không trả lời); gateway đang thử lại.",
      focusInvalid: "{symbol}: không phải mã hợp lệ (3–10 ký tự A–Z, 0–9).",
      focusWaiting: "{symbol}: đang chờ dữ liệu…",
      signal: "Tín hiệu",
      footer: "Giá bằng VND (chỉ số: điểm). «Kafka Live»: qua pipeline; «VNStock»: gateway lấy trực tiếp (dự phòng). Dữ liệu mô phỏng được đánh dấu SIMULATOR.",
      chartsBy: "Biểu đồ:",
    },
    en: {
      title: "vnstream — Vietnam stock dashboard",
      search: "Search a ticker or company…",
      searchNone: "No symbol matches",
      searchMatched: "{shown} of {matched} symbols",
      searchShow: "Show",
      searchAdd: "+ Watch",
      live: "Live",
      connecting: "Connecting…",
      reconnecting: "Reconnecting…",
      disconnected: "Lost the connection to the dashboard server. Reconnecting automatically (attempt {n})…",
      stale: "No data from the gateway for {s} s; waiting…",
      overview: "Market overview",
      indices: "Indices",
      indexNotServed: "not served by the gateway yet",
      breadth: "Market breadth",
      breadthWaiting: "No breadth for {scope} yet (the analytics service publishes stock-market)",
      advancers: "Advancing",
      decliners: "Declining",
      unchanged: "Unchanged",
      ceiling: "Ceiling",
      floor: "Floor",
      noTrade: "No trade",
      totalValue: "Value matched",
      foreignNet: "Foreign net",
      foreignBuy: "Foreign buy",
      foreignSell: "Foreign sell",
      topGainers: "Top gainers",
      topLosers: "Top losers",
      board: "Price board — watch list",
      addSymbol: "Add a ticker",
      add: "Add",
      remove: "Remove {symbol} from the watch list",
      reset: "Defaults",
      watchInvalid: "{symbol}: not a ticker",
      watchHave: "{symbol} is on the watch list already",
      watchFull: "The watch list is full ({n} symbols)",
      symbol: "Symbol",
      ref: "Ref",
      bid: "Bids",
      ask: "Asks",
      matched: "Matched",
      price: "Price",
      vol: "Vol",
      change: "+/-",
      pct: "%",
      high: "High",
      low: "Low",
      totalVol: "Total vol",
      foreign: "Foreign",
      source: "Source",
      notFound: "not found",
      unavailable: "unavailable for now",
      invalid: "invalid ticker",
      waiting: "waiting for data",
      daily: "Daily chart",
      intraday: "Intraday (1 minute)",
      sessions: "Sessions: ATO · morning · lunch · afternoon · ATC (Vietnam time)",
      now: "now",
      session_ato: "ATO", session_morning: "morning", session_lunch: "lunch",
      session_afternoon: "afternoon", session_atc: "ATC",
      range: "Range",
      rangeLive: "Stream",
      rangeDisabled: "The gateway does not serve GetCandles yet ({code}): showing the history stream's {n}-day window",
      rangeFrom: "{range}: {n} candles from the history store (GetCandles)",
      rangeEmpty: "{range}: the history store has no candles in this range",
      indicatorsPending: "indicators pending",
      performance: "Performance",
      totalReturn: "Total return",
      volatility: "Volatility (annual)",
      sharpe: "Sharpe",
      maxDrawdown: "Max drawdown",
      cumulative: "Cumulative return",
      feed: "Live feed",
      feedEmpty: "No events yet",
      focusNotFound: "{symbol}: not found. Neither Kafka nor VNStock knows this symbol.",
      focusUnavailable: "{symbol}: no data for now (VNStock does not answer); the gateway keeps trying.",
      focusInvalid: "{symbol}: not a valid ticker (3–10 of A–Z, 0–9).",
      focusWaiting: "{symbol}: waiting for data…",
      signal: "Signal",
      footer: "Prices in VND (indices: points). \"Kafka Live\": through the pipeline; \"VNStock\": fetched directly by the gateway (fallback). Simulated data is marked SIMULATOR.",
      chartsBy: "Charts:",
    },
  };
  const locales = { vi: "vi-VN", en: "en-US" };
  let lang = localStorage.getItem("vnstream.lang") || "vi";
  if (!words[lang]) lang = "vi";
  const cache = {};
  const numberFormat = (digits) => {
    const key = `${lang}/${digits}`;
    if (!cache[key]) {
      cache[key] = new Intl.NumberFormat(locales[lang],
        { minimumFractionDigits: digits, maximumFractionDigits: digits });
    }
    return cache[key];
  };
  const timeFormat = (options) => new Intl.DateTimeFormat(locales[lang],
    { timeZone: "Asia/Ho_Chi_Minh", hour12: false, ...options });

  const api = {
    get lang() { return lang; },
    get locale() { return locales[lang]; },
    setLang(next) {
      if (!words[next]) return;
      lang = next;
      localStorage.setItem("vnstream.lang", lang);
    },
    t(key, vars = {}) {
      const text = words[lang][key] ?? key;
      return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
    },
    // A number with `digits` decimals, "—" when missing.
    num(x, digits = 0) {
      return x === undefined || x === null || Number.isNaN(x) ? "—" : numberFormat(digits).format(x);
    },
    // Prices: VND are whole numbers; index points and averages keep 2.
    price(x) { return api.num(x, Number.isInteger(x) ? 0 : 2); },
    signed(x, digits = 0) { return Number.isNaN(x) ? "—" : (x > 0 ? "+" : "") + api.num(x, digits); },
    percent(fraction, digits = 2) {
      return fraction === undefined || Number.isNaN(fraction) ? "—" : api.num(fraction * 100, digits) + " %";
    },
    // Large amounts (VND values, volumes): 1,2 tỷ / 1.2B.
    compact(x) {
      if (x === undefined || Number.isNaN(x)) return "—";
      return new Intl.NumberFormat(locales[lang], { notation: "compact", maximumFractionDigits: 2 }).format(x);
    },
    time(date) { return timeFormat({ hour: "2-digit", minute: "2-digit", second: "2-digit" }).format(date); },
    apply(root = document) {
      document.documentElement.lang = lang;
      document.title = api.t("title");
      root.querySelectorAll("[data-i18n]").forEach((n) => { n.textContent = api.t(n.dataset.i18n); });
      root.querySelectorAll("[data-i18n-title]").forEach((n) => { n.title = api.t(n.dataset.i18nTitle); });
      root.querySelectorAll("[data-i18n-placeholder]").forEach((n) => {
        n.placeholder = api.t(n.dataset.i18nPlaceholder);
      });
    },
  };
  return api;
})();

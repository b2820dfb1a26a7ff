// The dashboard's charts, drawn with TradingView's Lightweight Charts
// (npm lightweight-charts, served by server.py from node_modules): time and
// price axes, a crosshair whose values a legend shows, zoom (wheel, pinch)
// and pan (drag). Two charts:
//   DailyChart: candles with SMA 20/50/200, Bollinger bands and volume;
//     panes below for MACD (line, signal, histogram), RSI (70/30 lines),
//     Stochastic %K/%D (80/20 lines) and the cumulative return; all panes
//     share the time axis, the crosshair and the zoom.
//   IntradayChart: today's 1-minute candles and volume over the trading
//     day, the sessions shaded (ATO, morning, lunch, afternoon, ATC) and a
//     "now" marker.
// Times: the library labels times in UTC, so intraday times are shifted by
// +7 h to read as Asia/Ho_Chi_Minh; daily bars are business days.
"use strict";

const Charts = (() => {
  const LC = LightweightCharts;
  const VN_OFFSET = 7 * 3600;  // Asia/Ho_Chi_Minh is UTC+7, no DST.
  const colors = {
    up: "#0ecb81", down: "#f6465d", text: "#c9d1d9", grid: "#21262d", background: "#0d1117",
    sma20: "#f0b90b", sma50: "#3d8bfd", sma200: "#c77dff", band: "#8b949e", macd: "#3d8bfd",
    signal: "#f0b90b", rsi: "#c77dff", k: "#3d8bfd", d: "#f0b90b", guide: "#6e7681",
  };
  const sessionColors = {
    ato: "rgba(240, 185, 11, 0.16)", morning: "rgba(61, 139, 253, 0.10)",
    lunch: "rgba(139, 148, 158, 0.16)", afternoon: "rgba(14, 203, 129, 0.10)",
    atc: "rgba(199, 125, 255, 0.20)",
  };
  // HOSE's day in minutes after midnight, Vietnam time: [start, end, name].
  const SESSIONS = [[540, 555, "ato"], [555, 690, "morning"], [690, 780, "lunch"],
                    [780, 870, "afternoon"], [870, 886, "atc"]];

  function baseOptions() {
    return {
      autoSize: true,
      layout: { background: { type: "solid", color: colors.background }, textColor: colors.text,
                fontSize: 11, attributionLogo: false,  // The footer attributes (CSP: no inline style).
                panes: { separatorColor: "#30363d", enableResize: true } },
      grid: { vertLines: { color: colors.grid }, horzLines: { color: colors.grid } },
      crosshair: { mode: LC.CrosshairMode.Normal },
      rightPriceScale: { borderColor: "#30363d" },
      timeScale: { borderColor: "#30363d" },
      localization: { locale: I18N.locale, priceFormatter: (p) => I18N.num(p, Math.abs(p) < 1000 ? 2 : 0) },
    };
  }
  const line = (color, extra = {}) => ({ color, lineWidth: 1, priceLineVisible: false,
                                         lastValueVisible: false, crosshairMarkerVisible: false, ...extra });
  const guide = (series, price) => series.createPriceLine({
    price, color: colors.guide, lineWidth: 1, lineStyle: LC.LineStyle.Dashed, axisLabelVisible: true, title: "" });

  // A daily bar or candle in one shape: {time: "YYYY-MM-DD", o, h, l, c, v, ind}.
  class DailyChart {
    constructor(container, legend) {
      this.legend = legend;
      this.chart = LC.createChart(container, baseOptions());
      const c = this.chart;
      const s = this.series = {};
      s.candles = c.addSeries(LC.CandlestickSeries, {
        upColor: colors.up, downColor: colors.down, borderVisible: false,
        wickUpColor: colors.up, wickDownColor: colors.down }, 0);
      s.sma20 = c.addSeries(LC.LineSeries, line(colors.sma20), 0);
      s.sma50 = c.addSeries(LC.LineSeries, line(colors.sma50), 0);
      s.sma200 = c.addSeries(LC.LineSeries, line(colors.sma200), 0);
      s.bbUpper = c.addSeries(LC.LineSeries, line(colors.band, { lineStyle: LC.LineStyle.Dashed }), 0);
      s.bbLower = c.addSeries(LC.LineSeries, line(colors.band, { lineStyle: LC.LineStyle.Dashed }), 0);
      s.volume = c.addSeries(LC.HistogramSeries, { priceScaleId: "volume", priceFormat: { type: "volume" },
                                                   priceLineVisible: false, lastValueVisible: false }, 0);
      c.priceScale("volume", 0).applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
      s.macdHist = c.addSeries(LC.HistogramSeries, { priceLineVisible: false, lastValueVisible: false }, 1);
      s.macd = c.addSeries(LC.LineSeries, line(colors.macd), 1);
      s.macdSignal = c.addSeries(LC.LineSeries, line(colors.signal), 1);
      s.rsi = c.addSeries(LC.LineSeries, line(colors.rsi, { autoscaleInfoProvider: () => (
        { priceRange: { minValue: 0, maxValue: 100 } }) }), 2);
      guide(s.rsi, 70);
      guide(s.rsi, 30);
      s.stochK = c.addSeries(LC.LineSeries, line(colors.k, { autoscaleInfoProvider: () => (
        { priceRange: { minValue: 0, maxValue: 100 } }) }), 3);
      s.stochD = c.addSeries(LC.LineSeries, line(colors.d), 3);
      guide(s.stochK, 80);
      guide(s.stochK, 20);
      s.cumulative = c.addSeries(LC.BaselineSeries, {
        baseValue: { type: "price", price: 0 }, lineWidth: 1, priceLineVisible: false,
        priceFormat: { type: "custom", formatter: (p) => I18N.num(p, 1) + " %" },
        topLineColor: colors.up, topFillColor1: "rgba(14,203,129,0.25)", topFillColor2: "rgba(14,203,129,0.02)",
        bottomLineColor: colors.down, bottomFillColor1: "rgba(246,70,93,0.02)",
        bottomFillColor2: "rgba(246,70,93,0.25)" }, 4);
      const stretch = [4, 1.2, 1, 1, 1];  // Candles get most of the height.
      c.panes().forEach((pane, i) => pane.setStretchFactor(stretch[i]));
      this.bars = [];
      this.byTime = new Map();
      this.pending = false;
      c.subscribeCrosshairMove((param) => this.showLegend(param.time ? this.byTime.get(param.time) : null));
    }

    // bars: [{time, o, h, l, c, v, ind}] oldest first; pending: indicators
    // not computed yet (the bars are shown, the indicator series empty).
    setBars(bars, pending) {
      const first = !this.bars.length;
      this.bars = bars;
      this.pending = pending;
      this.byTime = new Map(bars.map((b) => [b.time, b]));
      const s = this.series;
      const values = (key, scale = 1) => bars.map((b) => {
        const v = b.ind[key];
        return v === undefined || pending ? { time: b.time } : { time: b.time, value: v * scale };
      });
      s.candles.setData(bars.map((b) => ({ time: b.time, open: b.o, high: b.h, low: b.l, close: b.c })));
      s.volume.setData(bars.map((b) => ({ time: b.time, value: b.v,
                                          color: b.c >= b.o ? "rgba(14,203,129,0.4)" : "rgba(246,70,93,0.4)" })));
      s.sma20.setData(values("sma_short"));
      s.sma50.setData(values("sma_medium"));
      s.sma200.setData(values("sma_long"));
      s.bbUpper.setData(values("bb_upper"));
      s.bbLower.setData(values("bb_lower"));
      s.macd.setData(values("macd"));
      s.macdSignal.setData(values("macd_signal"));
      s.macdHist.setData(values("macd_hist").map((p) => p.value === undefined ? p :
        { ...p, color: p.value >= 0 ? "rgba(14,203,129,0.6)" : "rgba(246,70,93,0.6)" }));
      s.rsi.setData(values("rsi"));
      s.stochK.setData(values("stoch_k"));
      s.stochD.setData(values("stoch_d"));
      s.cumulative.setData(values("cumulative_return", 100));
      if (first) this.chart.timeScale().fitContent();
      this.showLegend(null);
    }

    clear() {
      this.bars = [];
      this.byTime = new Map();
      for (const s of Object.values(this.series)) s.setData([]);
      this.legend.replaceChildren();
    }

    // The values at the crosshair's bar (the newest bar without one).
    showLegend(bar) {
      bar = bar || this.bars[this.bars.length - 1];
      this.legend.replaceChildren();
      if (!bar) return;
      const item = (label, value, cls) => {
        const span = document.createElement("span");
        span.className = "item " + (cls || "");
        span.dataset.key = label;
        span.textContent = `${label} ${value}`;
        this.legend.appendChild(span);
      };
      const p = (v) => v === undefined || this.pending ? "—" : I18N.num(v, Math.abs(v) < 1000 ? 2 : 0);
      const i = bar.ind;
      item("date", bar.time, "date");
      item("O", I18N.price(bar.o)); item("H", I18N.price(bar.h));
      item("L", I18N.price(bar.l)); item("C", I18N.price(bar.c), bar.c >= bar.o ? "up" : "down");
      item("V", I18N.num(bar.v));
      item("SMA20", p(i.sma_short), "sma20"); item("SMA50", p(i.sma_medium), "sma50");
      item("SMA200", p(i.sma_long), "sma200");
      item("BB", `${p(i.bb_upper)} / ${p(i.bb_lower)}`, "band");
      item("MACD", `${p(i.macd)} / ${p(i.macd_signal)} / ${p(i.macd_hist)}`, "macd");
      item("RSI", p(i.rsi), "rsi");
      item("%K/%D", `${p(i.stoch_k)} / ${p(i.stoch_d)}`, "stoch");
      item(I18N.t("cumulative"), this.pending || i.cumulative_return === undefined ? "—" :
        I18N.percent(i.cumulative_return), "cumulative");
      if (this.pending) item("", I18N.t("indicatorsPending"), "pending");
    }

    relocalize() {
      this.chart.applyOptions({ localization: baseOptions().localization });
      this.showLegend(null);
    }
  }

  // Minutes after midnight (Vietnam) of a shifted timestamp.
  const minuteOfDay = (shifted) => Math.floor((shifted % 86400) / 60);
  const sessionAt = (minute) => SESSIONS.find(([a, b]) => minute >= a && minute < b);

  class IntradayChart {
    constructor(container, legend) {
      this.legend = legend;
      this.chart = LC.createChart(container, { ...baseOptions(),
        timeScale: { borderColor: "#30363d", timeVisible: true, secondsVisible: false } });
      const c = this.chart;
      // Sessions and "now" first, so they are drawn under the candles; on
      // their own full-height scale.
      this.shading = c.addSeries(LC.AreaSeries, { priceScaleId: "sessions", priceLineVisible: false,
                                                   lastValueVisible: false, lineVisible: false,
                                                   crosshairMarkerVisible: false });
      this.now = c.addSeries(LC.HistogramSeries, { priceScaleId: "sessions", priceLineVisible: false,
                                                   lastValueVisible: false, color: "rgba(255,255,255,0.55)" });
      c.priceScale("sessions").applyOptions({ scaleMargins: { top: 0, bottom: 0 }, visible: false });
      this.candles = c.addSeries(LC.CandlestickSeries, {
        upColor: colors.up, downColor: colors.down, borderVisible: false,
        wickUpColor: colors.up, wickDownColor: colors.down });
      this.volume = c.addSeries(LC.HistogramSeries, { priceScaleId: "volume", priceFormat: { type: "volume" },
                                                      priceLineVisible: false, lastValueVisible: false });
      c.priceScale("volume").applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
      this.day = null;
      this.bars = [];
      this.byTime = new Map();
      c.subscribeCrosshairMove((param) => this.showLegend(param.time ? this.byTime.get(param.time) : null));
    }

    // Shifted seconds (UTC clock reading Vietnam time) of a UTC ms time.
    static shift(ms) { return Math.floor(ms / 1000) + VN_OFFSET; }

    // bars: [{t: UTC ms, o, h, l, c, v}] oldest first; nowMs: the market's
    // clock (the newest quote's time), or null.
    setBars(bars, nowMs) {
      const first = !this.bars.length;
      this.bars = bars.map((b) => ({ ...b, time: IntradayChart.shift(b.t) }));
      this.byTime = new Map(this.bars.map((b) => [b.time, b]));
      if (this.bars.length) {
        const dayStart = this.bars[0].time - this.bars[0].time % 86400;
        if (this.day !== dayStart) this.setDay(dayStart);
      }
      this.candles.setData(this.bars.map((b) => ({ time: b.time, open: b.o, high: b.h, low: b.l, close: b.c })));
      this.volume.setData(this.bars.map((b) => ({ time: b.time, value: b.v,
                                                  color: b.c >= b.o ? "rgba(14,203,129,0.45)" : "rgba(246,70,93,0.45)" })));
      this.setNow(nowMs);
      if (first && this.bars.length) this.chart.timeScale().fitContent();
      this.showLegend(null);
    }

    // One shaded point per minute of the trading day: a continuous time axis
    // with the lunch break visible.
    setDay(dayStart) {
      this.day = dayStart;
      const points = [];
      for (const [a, b, name] of SESSIONS) {
        for (let m = a; m < b; ++m) {
          const color = sessionColors[name];
          points.push({ time: dayStart + m * 60, value: 1, topColor: color, bottomColor: color, lineColor: color });
        }
      }
      this.shading.setData(points);
    }

    setNow(nowMs) {
      this.nowTime = null;
      if (nowMs && this.day !== null) {
        const t = IntradayChart.shift(nowMs);
        const minute = minuteOfDay(t);
        if (t - t % 86400 === this.day && sessionAt(minute)) this.nowTime = this.day + minute * 60;
      }
      this.now.setData(this.nowTime === null ? [] : [{ time: this.nowTime, value: 1 }]);
    }

    clear() {
      this.bars = [];
      this.byTime = new Map();
      this.day = null;
      for (const s of [this.shading, this.now, this.candles, this.volume]) s.setData([]);
      this.legend.replaceChildren();
    }

    showLegend(bar) {
      bar = bar || this.bars[this.bars.length - 1];
      this.legend.replaceChildren();
      if (!bar) return;
      const hhmm = (shifted) => new Date(shifted * 1000).toISOString().slice(11, 16);
      const item = (label, value, cls) => {
        const span = document.createElement("span");
        span.className = "item " + (cls || "");
        span.dataset.key = label;
        span.textContent = `${label} ${value}`;
        this.legend.appendChild(span);
      };
      const session = sessionAt(minuteOfDay(bar.time));
      item("time", hhmm(bar.time), "date");
      item("O", I18N.price(bar.o)); item("H", I18N.price(bar.h));
      item("L", I18N.price(bar.l)); item("C", I18N.price(bar.c), bar.c >= bar.o ? "up" : "down");
      item("V", I18N.num(bar.v));
      if (session) item("", I18N.t(`session_${session[2]}`), "session");
      if (this.nowTime !== null) item(I18N.t("now"), hhmm(this.nowTime), "now");
    }

    relocalize() {
      this.chart.applyOptions({ localization: baseOptions().localization });
      this.showLegend(null);
    }
  }

  return { DailyChart, IntradayChart };
})();

#include "libs/candles/query.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/market/decimal.h"
#include "libs/market/exchange.h"

namespace vnstream::candles {
namespace {

constexpr char kTokenVersion = 1;

// What a page token carries. Opaque to clients (URL-safe base64).
struct PageToken {
  // Of the request the token belongs to (Fingerprint()).
  uint64_t fingerprint = 0;
  // Start of the next page's first candle, microseconds since 1970.
  int64_t next_start = 0;
  // Close of the range's first candle (cumulative_return), nanos; 0 = none.
  int64_t first_close = 0;
};

void Put64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
uint64_t Get64(absl::string_view in) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) {
    v = (v << 8) | static_cast<unsigned char>(in[i]);
  }
  return v;
}

std::string EncodeToken(const PageToken& token) {
  std::string bytes(1, kTokenVersion);
  Put64(&bytes, token.fingerprint);
  Put64(&bytes, static_cast<uint64_t>(token.next_start));
  Put64(&bytes, static_cast<uint64_t>(token.first_close));
  return absl::WebSafeBase64Escape(bytes);
}

absl::StatusOr<PageToken> DecodeToken(const std::string& text) {
  std::string bytes;
  if (!absl::WebSafeBase64Unescape(text, &bytes) || bytes.size() != 25 ||
      bytes[0] != kTokenVersion) {
    return absl::InvalidArgumentError("page_token is not a GetCandles token");
  }
  PageToken token;
  const absl::string_view view(bytes);
  token.fingerprint = Get64(view.substr(1));
  token.next_start = static_cast<int64_t>(Get64(view.substr(9)));
  token.first_close = static_cast<int64_t>(Get64(view.substr(17)));
  return token;
}

// FNV-1a: stable across processes and builds (tokens outlive a gateway
// replica), unlike absl::Hash.
uint64_t Fnv1a(absl::string_view text) {
  uint64_t hash = 14695981039346656037ull;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

uint64_t Fingerprint(const std::string& symbol, absl::Time start,
                     absl::Time end, v1::BarInterval interval,
                     bool with_indicators, int page_size) {
  return Fnv1a(absl::StrCat(symbol, "|", absl::ToUnixMicros(start), "|",
                            absl::ToUnixMicros(end), "|", interval, "|",
                            with_indicators, "|", page_size));
}

bool ValidTimestamp(const google::protobuf::Timestamp& t) {
  // 0001-01-01 .. 9999-12-31, as google.protobuf.Timestamp defines.
  return t.seconds() >= -62135596800 && t.seconds() <= 253402300799 &&
         t.nanos() >= 0 && t.nanos() <= 999999999;
}

v1::Decimal ToDecimal(Nanos nanos) { return market::FromNanos(nanos); }

double ToDouble(Nanos nanos) { return market::ToDouble(ToDecimal(nanos)); }

indicators::Bar ToIndicatorBar(const Candle& c) {
  return {ToDouble(c.open), ToDouble(c.high), ToDouble(c.low),
          ToDouble(c.close), static_cast<double>(c.volume)};
}

void ToProto(const Candle& c, v1::Candle* out) {
  *out->mutable_start_time() = market::ToTimestamp(c.start);
  *out->mutable_trading_date() = market::ToDate(c.trading_date);
  *out->mutable_open() = ToDecimal(c.open);
  *out->mutable_high() = ToDecimal(c.high);
  *out->mutable_low() = ToDecimal(c.low);
  *out->mutable_close() = ToDecimal(c.close);
  out->set_volume(c.volume);
  out->set_final(c.final);
}

}  // namespace

int LookbackCandles(const indicators::Params& p) {
  const int longest = std::max(
      {p.sma_short_period, p.sma_medium_period, p.sma_long_period,
       p.ema_fast_period, p.ema_slow_period, p.rsi_period + 1,
       p.macd_slow_period + p.macd_signal_period, p.bbands_period,
       p.atr_period + 1,
       p.stoch_fastk_period + p.stoch_slowk_period + p.stoch_slowd_period,
       p.volume_sma_period});
  return 2 * longest;
}

CandleQuery::CandleQuery(QueryOptions options, CandleStore& store,
                         const market::TradingCalendar& calendar)
    : options_(std::move(options)), store_(store), calendar_(calendar) {}

absl::StatusOr<v1::GetCandlesResponse> CandleQuery::Run(
    const v1::GetCandlesRequest& request, absl::Time now,
    absl::Time deadline) const {
  // ---- The request ----
  const std::string symbol = market::NormalizeSymbol(request.symbol());
  if (!market::IsValidSymbol(symbol)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "symbol '", request.symbol(), "' is not a ticker (3..10 of A-Z, 0-9)"));
  }
  const v1::BarInterval interval = request.interval();
  if (!IsSupported(interval)) {
    return absl::InvalidArgumentError(
        "interval must be one of 1m, 5m, 15m, 30m, 1H, 1D, 1W, 1M "
        "(BAR_INTERVAL_ONE_MINUTE ... BAR_INTERVAL_ONE_MONTH)");
  }
  if (!request.has_start() || !request.has_end() ||
      !ValidTimestamp(request.start()) || !ValidTimestamp(request.end())) {
    return absl::InvalidArgumentError("start and end are required");
  }
  const absl::Time start = market::FromTimestamp(request.start());
  const absl::Time end = market::FromTimestamp(request.end());
  if (start >= end) {
    return absl::InvalidArgumentError("start must be before end");
  }
  if (request.page_size() < 0 || request.page_size() > options_.max_page_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_size ", request.page_size(), " is not in 0..",
        options_.max_page_size, " (0 = ", options_.default_page_size, ")"));
  }
  const int page_size = request.page_size() == 0 ? options_.default_page_size
                                                 : request.page_size();
  const uint64_t fingerprint =
      Fingerprint(symbol, start, end, interval, request.with_indicators(),
                  request.page_size());
  absl::Time cursor = start;
  std::optional<Nanos> first_close;
  if (!request.page_token().empty()) {
    absl::StatusOr<PageToken> token = DecodeToken(request.page_token());
    if (!token.ok()) return token.status();
    cursor = absl::FromUnixMicros(token->next_start);
    if (token->fingerprint != fingerprint || cursor <= start || cursor >= end) {
      return absl::InvalidArgumentError(
          "page_token belongs to another request (pass the same symbol, "
          "start, end, interval, with_indicators and page_size)");
    }
    if (token->first_close != 0) first_close = token->first_close;
  }

  // ---- The candles of the page ----
  const BarTable table = TableOf(interval);
  const absl::Time read_from = CoverStart(interval, cursor);
  const absl::Time read_to = CoverEnd(interval, end - absl::Microseconds(1));
  Aggregator aggregator(interval, calendar_, now);
  std::vector<Candle> candles;
  const size_t wanted = static_cast<size_t>(page_size) + 1;
  auto keep = [&](const std::optional<Candle>& c) {
    if (c.has_value() && c->start >= cursor && c->start < end) {
      candles.push_back(*c);
    }
  };
  if (absl::Status s = store_.Scan(table, symbol, read_from, read_to, deadline,
                                   [&](absl::Span<const Bar> bars) {
                                     for (const Bar& bar : bars) {
                                       keep(aggregator.Add(bar));
                                       if (candles.size() >= wanted)
                                         return false;
                                     }
                                     return true;
                                   });
      !s.ok()) {
    return s;
  }
  if (candles.size() < wanted) keep(aggregator.Finish());

  v1::GetCandlesResponse response;
  response.set_symbol(symbol);
  response.set_interval(interval);
  absl::StatusOr<std::optional<v1::InstrumentType>> type =
      store_.InstrumentType(symbol, deadline);
  if (!type.ok()) return type.status();
  if (candles.empty() && !type->has_value()) {
    absl::StatusOr<bool> has_bars = store_.HasBars(symbol, deadline);
    if (!has_bars.ok()) return has_bars.status();
    if (!*has_bars) {
      return absl::NotFoundError(
          absl::StrCat("the history store has nothing for ", symbol));
    }
  }
  response.set_instrument_type(type->value_or(v1::INSTRUMENT_TYPE_UNSPECIFIED));
  if (candles.size() > static_cast<size_t>(page_size)) {
    response.set_next_page_token(EncodeToken(
        {.fingerprint = fingerprint,
         .next_start = absl::ToUnixMicros(candles[page_size].start),
         // The range's first close: this page's first on page 1.
         .first_close = first_close.value_or(candles.front().close)}));
    candles.resize(page_size);
  }

  // ---- Indicators, from the lookback before the page ----
  std::vector<indicators::Values> values;
  if (request.with_indicators() && !candles.empty()) {
    const int lookback = LookbackCandles(options_.indicators);
    const int limit = (lookback + 1) * MaxBarsPerCandle(interval);
    absl::StatusOr<std::vector<Bar>> before =
        store_.Before(table, symbol, read_from, limit, deadline);
    if (!before.ok()) return before.status();
    Aggregator past(interval, calendar_, now);
    std::vector<Candle> history;
    for (const Bar& bar : *before) {
      if (std::optional<Candle> c = past.Add(bar)) history.push_back(*c);
    }
    if (std::optional<Candle> c = past.Finish()) history.push_back(*c);
    // With the read cut at `limit` bars, the oldest candle may be partial.
    if (static_cast<int>(before->size()) == limit && !history.empty()) {
      history.erase(history.begin());
    }
    if (static_cast<int>(history.size()) > lookback) {
      history.erase(history.begin(), history.end() - lookback);
    }
    indicators::Incremental incremental(options_.indicators);
    for (const Candle& c : history) incremental.Update(ToIndicatorBar(c));
    const Nanos base =
        first_close.has_value() ? *first_close : candles.front().close;
    for (const Candle& c : candles) {
      indicators::Values v = incremental.Update(ToIndicatorBar(c));
      v.cumulative_return = ToDouble(c.close) / ToDouble(base) - 1;
      values.push_back(v);
    }
    *response.mutable_params() = options_.indicators.ToProto();
  }
  for (size_t i = 0; i < candles.size(); ++i) {
    v1::Candle* out = response.add_candles();
    ToProto(candles[i], out);
    if (!values.empty()) *out->mutable_indicators() = values[i].ToProto();
  }
  return response;
}

}  // namespace vnstream::candles

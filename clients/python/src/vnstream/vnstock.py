"""A vnstock-compatible facade served by the vnstream gateway.

Switch from vnstock by changing one import:

    # from vnstock import Quote, Trading, Listing
    from vnstream.vnstock import Quote, Trading, Listing

    Quote("FPT").history(start="2024-01-01", end="2024-06-30", interval="1D")
    Quote("FPT").intraday()
    Trading().price_board(["FPT", "VCB"])
    Listing().all_symbols()

The frames have vnstock's columns and, by default, vnstock's units (history
and intraday prices in thousands of VND, indices in points; the price board
in VND): see vnstream.frames. Pass units="vnd" for VND everywhere. `source`
is accepted and ignored (the gateway is the source).

The gateway is VNSTREAM_TARGET (default 127.0.0.1:50051), with
VNSTREAM_TLS / VNSTREAM_ROOT_CA / VNSTREAM_API_KEY (see
vnstream.client.ConnectionOptions), or the `client` argument.
"""

from __future__ import annotations

import datetime
import math
import threading
from collections.abc import Sequence
from typing import Any

import google.protobuf.timestamp_pb2
import pandas as pd

from vnstream import frames
from vnstream.client import Client, ConnectionOptions
from vnstream.frames import VN_TZ, Units
from vnstream.v1 import market_data_pb2 as records
from vnstream.v1 import market_data_service_pb2 as pb

# vnstock's interval names (and a few lower-case spellings).
INTERVALS: dict[str, records.BarInterval.ValueType] = {
    "1m": records.BAR_INTERVAL_ONE_MINUTE,
    "5m": records.BAR_INTERVAL_FIVE_MINUTES,
    "15m": records.BAR_INTERVAL_FIFTEEN_MINUTES,
    "30m": records.BAR_INTERVAL_THIRTY_MINUTES,
    "1H": records.BAR_INTERVAL_ONE_HOUR,
    "1h": records.BAR_INTERVAL_ONE_HOUR,
    "1D": records.BAR_INTERVAL_ONE_DAY,
    "1d": records.BAR_INTERVAL_ONE_DAY,
    "1W": records.BAR_INTERVAL_ONE_WEEK,
    "1w": records.BAR_INTERVAL_ONE_WEEK,
    "1M": records.BAR_INTERVAL_ONE_MONTH,
}
# Bars per trading day, to size the window that count_back needs.
_BARS_PER_DAY = {
    records.BAR_INTERVAL_ONE_MINUTE: 255.0, records.BAR_INTERVAL_FIVE_MINUTES: 51.0,
    records.BAR_INTERVAL_FIFTEEN_MINUTES: 17.0, records.BAR_INTERVAL_THIRTY_MINUTES: 9.0,
    records.BAR_INTERVAL_ONE_HOUR: 5.0, records.BAR_INTERVAL_ONE_DAY: 1.0,
    records.BAR_INTERVAL_ONE_WEEK: 1 / 5, records.BAR_INTERVAL_ONE_MONTH: 1 / 21,
}
# Per call; history pages are fetched with this deadline each.
TIMEOUT_SECONDS = 30.0
# GetQuotes' limit per request (the gateway's max_symbols_per_request).
_QUOTES_PER_REQUEST = 200

_default_lock = threading.Lock()
_default_client: Client | None = None


def default_client() -> Client:
    """The process-wide client, made on first use from the environment."""
    global _default_client
    with _default_lock:
        if _default_client is None:
            _default_client = Client(ConnectionOptions.from_env())
        return _default_client


def _parse_time(value: str | datetime.date | datetime.datetime, end: bool
                ) -> datetime.datetime:
    """A vnstock start/end (a date, inclusive; or a local date-time) as an
    aware instant: a date's start is 00:00 Asia/Ho_Chi_Minh; an end date
    reaches 00:00 of the next day."""
    if isinstance(value, str):
        value = (datetime.datetime.fromisoformat(value) if len(value.strip()) > 10
                 else datetime.date.fromisoformat(value.strip()))
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=VN_TZ) if value.tzinfo is None else value
    day = value + datetime.timedelta(days=1) if end else value
    return datetime.datetime(day.year, day.month, day.day, tzinfo=VN_TZ)


def _timestamp(value: datetime.datetime) -> google.protobuf.timestamp_pb2.Timestamp:
    stamp = google.protobuf.timestamp_pb2.Timestamp()
    stamp.FromDatetime(value.astimezone(datetime.timezone.utc))
    return stamp


class Quote:
    """vnstock's Quote: history (GetCandles) and intraday (GetIntradayBars)
    of one symbol."""

    def __init__(self, symbol: str, source: str | None = None, *,
                 client: Client | None = None, units: Units = "vnstock") -> None:
        self.symbol = symbol.strip().upper()
        self.source = source
        self.units = frames.check_units(units)
        self._client = client

    @property
    def client(self) -> Client:
        return self._client or default_client()

    def candles(self, start: datetime.datetime, end: datetime.datetime,
                interval: records.BarInterval.ValueType) -> pb.GetCandlesResponse:
        """Every candle in [start, end), all pages merged into one response."""
        request = pb.GetCandlesRequest(symbol=self.symbol, start=_timestamp(start),
                                       end=_timestamp(end), interval=interval)
        merged = pb.GetCandlesResponse()
        while True:
            page = self.client.stub.GetCandles(request, timeout=TIMEOUT_SECONDS)
            merged.symbol, merged.interval = page.symbol, page.interval
            merged.instrument_type = page.instrument_type
            merged.candles.extend(page.candles)
            if not page.next_page_token:
                return merged
            request.page_token = page.next_page_token

    def history(self, start: str | datetime.date | None = None,
                end: str | datetime.date | None = None, interval: str = "1D",
                to_df: bool = True, show_log: bool = False, count_back: int | None = None,
                floating: int | None = 2) -> Any:
        """OHLCV bars from `start` to `end` (dates inclusive; end None = now)
        as vnstock returns them: time, open, high, low, close, volume.
        count_back keeps only the newest N bars (start may then be None).
        floating rounds prices to that many decimals (vnstock's default 2;
        None: unrounded). to_df=False returns a list of records."""
        if interval not in INTERVALS:
            raise ValueError(f"interval must be one of {sorted(set(INTERVALS))}, "
                             f"not {interval!r}")
        bar_interval = INTERVALS[interval]
        until = (_parse_time(end, end=True) if end is not None
                 else datetime.datetime.now(VN_TZ) + datetime.timedelta(minutes=1))
        if start is not None:
            since = _parse_time(start, end=False)
        elif count_back is not None:
            # Calendar days that hold count_back bars, with room for
            # weekends, holidays and a partial first period.
            days = math.ceil(count_back / _BARS_PER_DAY[bar_interval] * 7 / 5 * 1.5) + 14
            since = until - datetime.timedelta(days=days)
        else:
            raise ValueError("history needs start (or count_back)")
        response = self.candles(since, until, bar_interval)
        frame = frames.candles_frame(response.candles, response.instrument_type, self.units)
        if count_back is not None:
            frame = frame.tail(count_back).reset_index(drop=True)
        if floating is not None:
            columns = ["open", "high", "low", "close"]
            frame[columns] = frame[columns].round(floating)
        if show_log:
            print(f"vnstream: {self.symbol} {interval} {len(frame)} bars "
                  f"{since.isoformat()} .. {until.isoformat()}")
        return frame if to_df else frame.to_dict("records")

    def intraday(self, page_size: int = 100, last_time: str | datetime.datetime | None = None,
                 to_df: bool = True, show_log: bool = False) -> Any:
        """Today's trading as vnstock's intraday frame (time, price, volume,
        match_type, id), the newest `page_size` rows, oldest first. The
        gateway keeps 1-minute bars, not trades: one row per minute (see
        vnstream.frames.intraday_frame). last_time: only bars from then on."""
        request = pb.GetIntradayBarsRequest(symbol=self.symbol)
        if last_time is not None:
            request.since_time.CopyFrom(_timestamp(_parse_time(last_time, end=False)))
        response = self.client.stub.GetIntradayBars(request, timeout=TIMEOUT_SECONDS)
        frame = frames.intraday_frame(response.bars, self.units)
        frame = frame.tail(page_size).reset_index(drop=True)
        if show_log:
            print(f"vnstream: {self.symbol} intraday {len(frame)} bars")
        return frame if to_df else frame.to_dict("records")


class Trading:
    """vnstock's Trading: the price board (GetQuotes)."""

    def __init__(self, symbol: str | None = None, source: str | None = None, *,
                 client: Client | None = None, units: Units = "vnstock") -> None:
        self.symbol = symbol
        self.source = source
        self.units = frames.check_units(units)
        self._client = client

    @property
    def client(self) -> Client:
        return self._client or default_client()

    def price_board(self, symbols_list: Sequence[str], to_df: bool = True,
                    show_log: bool = False) -> Any:
        """One row per symbol with a quote, in request order, with vnstock's
        MultiIndex columns (see vnstream.frames.price_board_frame). Symbols
        without a quote are left out, as vnstock does; they are listed in
        frame.attrs["missing"] as (symbol, state, message)."""
        symbols = [s.strip().upper() for s in symbols_list]
        quotes: list[records.Quote] = []
        missing: list[tuple[str, str, str]] = []
        for i in range(0, len(symbols), _QUOTES_PER_REQUEST):
            response = self.client.stub.GetQuotes(
                pb.GetQuotesRequest(symbols=symbols[i:i + _QUOTES_PER_REQUEST]),
                timeout=TIMEOUT_SECONDS)
            quotes.extend(item.quote for item in response.items)
            missing.extend((m.symbol, pb.SymbolState.Name(m.state), m.message)
                           for m in response.missing)
        frame = frames.price_board_frame(quotes, self.units)
        frame.attrs["missing"] = missing
        if show_log and missing:
            print(f"vnstream: no quote for {missing}")
        return frame if to_df else frame.to_dict("records")


class Listing:
    """vnstock's Listing (ListSymbols)."""

    def __init__(self, source: str | None = None, *, client: Client | None = None) -> None:
        self.source = source
        self._client = client

    @property
    def client(self) -> Client:
        return self._client or default_client()

    def _symbols(self, request: pb.ListSymbolsRequest) -> list[pb.SymbolInfo]:
        return list(self.client.stub.ListSymbols(request, timeout=TIMEOUT_SECONDS).symbols)

    def all_symbols(self, to_df: bool = True) -> Any:
        """Listed stocks: symbol, organ_name (as vnstock)."""
        infos = self._symbols(pb.ListSymbolsRequest(types=[records.INSTRUMENT_TYPE_STOCK]))
        frame = pd.DataFrame([(i.symbol, i.name) for i in infos],
                             columns=["symbol", "organ_name"])
        return frame if to_df else frame.to_dict("records")

    def symbols_by_exchange(self, to_df: bool = True) -> Any:
        """Every symbol the gateway knows: symbol, exchange (HSX, HNX,
        UPCOM), type (STOCK, ETF, CW, ...), organ_name."""
        infos = self._symbols(pb.ListSymbolsRequest())
        frame = pd.DataFrame([(i.symbol, frames.exchange_name(i.exchange),
                               frames.type_name(i.instrument_type), i.name) for i in infos],
                             columns=["symbol", "exchange", "type", "organ_name"])
        return frame if to_df else frame.to_dict("records")

    def symbols_by_group(self, group: str = "VN30", to_df: bool = True) -> Any:
        """Members of an index group (e.g. "VN30"), as a Series named symbol."""
        infos = self._symbols(pb.ListSymbolsRequest(groups=[group]))
        series = pd.Series([i.symbol for i in infos], name="symbol", dtype="object")
        return series if to_df else series.tolist()

"""pandas DataFrames from gateway messages, with vnstock's column names.

Units: the API carries exact VND (and index points). `units="vnstock"` (the
default of the vnstock facade) returns what vnstock returns, so code written
for vnstock gets the same numbers:
  * history and intraday prices of stocks, ETFs and covered warrants in
    thousands of VND (32,600 VND -> 32.6); indices in points, unscaled;
  * the price board in VND, its `accumulated_value` in millions of VND (as
    VCI reports it).
`units="vnd"` returns every price and value in VND (indices in points).
Volumes are shares. Times are Asia/Ho_Chi_Minh: history tz-naive (daily and
longer bars at 00:00 of their first day), intraday tz-aware, as vnstock.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable, Sequence
from typing import Literal

import pandas as pd

from vnstream.v1 import market_data_pb2 as records
from vnstream.v1 import market_data_service_pb2 as pb

Units = Literal["vnstock", "vnd"]
UNITS: tuple[Units, ...] = ("vnstock", "vnd")
VN_TZ = datetime.timezone(datetime.timedelta(hours=7), "Asia/Ho_Chi_Minh")
HISTORY_COLUMNS = ["time", "open", "high", "low", "close", "volume"]
INTRADAY_COLUMNS = ["time", "price", "volume", "match_type", "id"]

_NANOS = decimal.Decimal(1_000_000_000)
_THOUSAND = decimal.Decimal(1000)
_MILLION = decimal.Decimal(1_000_000)


def to_decimal(value: records.Decimal) -> decimal.Decimal:
    """A vnstream.v1.Decimal as an exact decimal.Decimal."""
    return decimal.Decimal(value.units) + decimal.Decimal(value.nanos) / _NANOS


def check_units(units: str) -> Units:
    if units not in UNITS:
        raise ValueError(f"units must be one of {UNITS}, not {units!r}")
    return units  # type: ignore[return-value]


def _price_scale(units: Units, instrument_type: int) -> decimal.Decimal:
    if units == "vnd" or instrument_type == records.INSTRUMENT_TYPE_INDEX:
        return decimal.Decimal(1)
    return _THOUSAND


def _scaled(value: records.Decimal, scale: decimal.Decimal) -> float:
    # Scale exactly, then round once to the nearest double.
    return float(to_decimal(value) / scale)


def _local_naive(timestamp: datetime.datetime) -> datetime.datetime:
    return timestamp.astimezone(VN_TZ).replace(tzinfo=None)


def candles_frame(candles: Iterable[pb.Candle],
                  instrument_type: int = records.INSTRUMENT_TYPE_STOCK,
                  units: Units = "vnstock") -> pd.DataFrame:
    """Candles (GetCandles) as vnstock's history frame: time, open, high,
    low, close, volume; oldest first."""
    scale = _price_scale(check_units(units), instrument_type)
    rows = [(_local_naive(c.start_time.ToDatetime(datetime.timezone.utc)),
             _scaled(c.open, scale), _scaled(c.high, scale), _scaled(c.low, scale),
             _scaled(c.close, scale), c.volume) for c in candles]
    return _history_frame(rows)


def _history_frame(rows: Sequence[tuple[datetime.datetime, float, float, float, float, int]]
                   ) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
    # Nanoseconds, as vnstock's frames (pandas 3 would infer microseconds).
    frame["time"] = pd.to_datetime(frame["time"]).astype("datetime64[ns]")
    for column in ("open", "high", "low", "close"):
        frame[column] = frame[column].astype("float64")
    frame["volume"] = frame["volume"].astype("int64")
    return frame


def intraday_frame(bars: Iterable[records.IntradayBar], units: Units = "vnstock",
                   exchange: int = records.EXCHANGE_UNSPECIFIED) -> pd.DataFrame:
    """1-minute bars as vnstock's intraday frame: time, price, volume,
    match_type, id. The gateway keeps bars, not trades: each row is one
    minute, `price` its close, `volume` its shares, `id` its seq. match_type
    is "ATC" for the closing-auction minute (14:45 on HOSE/HNX) and empty
    otherwise (the side of a match is not known)."""
    scale = _price_scale(check_units(units), records.INSTRUMENT_TYPE_STOCK)
    rows = []
    for bar in bars:
        start = bar.start_time.ToDatetime(datetime.timezone.utc).astimezone(VN_TZ)
        atc = (start.hour, start.minute) == (14, 45) and exchange != records.EXCHANGE_UPCOM
        rows.append((start, _scaled(bar.close, scale), bar.volume, "ATC" if atc else "",
                     str(bar.meta.seq)))
    frame = pd.DataFrame(rows, columns=INTRADAY_COLUMNS)
    frame["time"] = (pd.to_datetime(frame["time"]).dt.tz_convert("Asia/Ho_Chi_Minh")
                     .astype(pd.DatetimeTZDtype("ns", "Asia/Ho_Chi_Minh")))
    frame["price"] = frame["price"].astype("float64")
    frame["volume"] = frame["volume"].astype("int64")
    frame["match_type"] = frame["match_type"].astype("object")
    frame["id"] = frame["id"].astype("object")
    return frame.sort_values("time", kind="stable").reset_index(drop=True)


_EXCHANGE_NAMES: dict[int, str] = {records.EXCHANGE_HOSE: "HSX", records.EXCHANGE_HNX: "HNX",
                   records.EXCHANGE_UPCOM: "UPCOM"}
_TYPE_NAMES: dict[int, str] = {records.INSTRUMENT_TYPE_STOCK: "STOCK", records.INSTRUMENT_TYPE_ETF: "ETF",
               records.INSTRUMENT_TYPE_COVERED_WARRANT: "CW",
               records.INSTRUMENT_TYPE_BOND: "BOND", records.INSTRUMENT_TYPE_INDEX: "INDEX",
               records.INSTRUMENT_TYPE_FUTURE: "FU"}


def exchange_name(exchange: int) -> str:
    """vnstock's (VCI's) name of an exchange: HSX, HNX, UPCOM."""
    return _EXCHANGE_NAMES.get(exchange, "")


def type_name(instrument_type: int) -> str:
    """vnstock's (VCI's) name of a type: STOCK, ETF, CW, BOND, ..."""
    return _TYPE_NAMES.get(instrument_type, "")


def price_board_frame(quotes: Iterable[records.Quote], units: Units = "vnstock"
                      ) -> pd.DataFrame:
    """Quotes (GetQuotes) as vnstock's price board: one row per symbol,
    two-level columns ("listing", ...), ("bid_ask", ...), ("match", ...)
    with vnstock's names. Prices in VND; accumulated_value in millions of
    VND (units="vnstock") or VND ("vnd"). Missing prices (no match yet) are
    NaN."""
    value_scale = _MILLION if check_units(units) == "vnstock" else decimal.Decimal(1)
    rows: list[dict[tuple[str, str], object]] = []
    for q in quotes:
        row: dict[tuple[str, str], object] = {
            ("listing", "symbol"): q.meta.symbol,
            ("listing", "ceiling"): _opt(q.HasField("ceiling_price"), q.ceiling_price),
            ("listing", "floor"): _opt(q.HasField("floor_price"), q.floor_price),
            ("listing", "ref_price"): _opt(q.HasField("reference_price"), q.reference_price),
            ("listing", "stock_type"): type_name(q.meta.instrument_type or
                                                 records.INSTRUMENT_TYPE_STOCK),
            ("listing", "exchange"): exchange_name(q.exchange),
            ("listing", "trading_status"): q.trading_status,
        }
        for side, levels in (("bid", q.bids), ("ask", q.asks)):
            for i in range(3):
                level = levels[i] if i < len(levels) else None
                row[("bid_ask", f"{side}_{i + 1}_price")] = (
                    float(to_decimal(level.price)) if level is not None else float("nan"))
                row[("bid_ask", f"{side}_{i + 1}_volume")] = (
                    level.volume if level is not None else 0)
        row.update({
            ("match", "match_price"): _opt(q.HasField("last_price"), q.last_price),
            ("match", "match_vol"): q.last_volume,
            ("match", "accumulated_volume"): q.total_volume,
            ("match", "accumulated_value"): float(to_decimal(q.total_value) / value_scale),
            ("match", "avg_match_price"): _opt(q.HasField("average_price"), q.average_price),
            ("match", "highest"): _opt(q.HasField("high_price"), q.high_price),
            ("match", "lowest"): _opt(q.HasField("low_price"), q.low_price),
            ("match", "foreign_buy_volume"): q.foreign_buy_volume,
            ("match", "foreign_sell_volume"): q.foreign_sell_volume,
            ("match", "reference_price"): _opt(q.HasField("reference_price"), q.reference_price),
            ("match", "price_change"): _opt(q.HasField("change"), q.change),
            ("match", "percent_change"): _opt(q.HasField("percent_change"), q.percent_change),
        })
        rows.append(row)
    columns = pd.MultiIndex.from_tuples(_PRICE_BOARD_COLUMNS)
    return pd.DataFrame(rows, columns=columns)


def _opt(present: bool, value: records.Decimal) -> float:
    """An optional Decimal in its unit; NaN when unset."""
    return float(to_decimal(value)) if present else float("nan")


_PRICE_BOARD_COLUMNS = (
    [("listing", c) for c in ("symbol", "ceiling", "floor", "ref_price", "stock_type",
                              "exchange", "trading_status")] +
    [("bid_ask", f"{side}_{i}_{what}") for side in ("bid", "ask") for i in (1, 2, 3)
     for what in ("price", "volume")] +
    [("match", c) for c in ("match_price", "match_vol", "accumulated_volume",
                            "accumulated_value", "avg_match_price", "highest", "lowest",
                            "foreign_buy_volume", "foreign_sell_volume", "reference_price",
                            "price_change", "percent_change")])

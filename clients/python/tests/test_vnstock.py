"""The vnstock facade and the pandas layer against the fake gateway."""

from __future__ import annotations

import datetime
import math

import pandas as pd
import pytest

import vnstream
from fake_gateway import FakeGateway, Server
from vnstream.v1 import market_data_pb2 as records
from vnstream.vnstock import Listing, Quote, Trading

Fake = tuple[FakeGateway, Server]


def test_history_daily_in_thousands_of_vnd(fake: Fake, client: vnstream.Client) -> None:
    frame = Quote("fpt", client=client).history(start="2024-06-03", end="2024-06-07",
                                                interval="1D")
    assert list(frame.columns) == ["time", "open", "high", "low", "close", "volume"]
    assert frame.shape == (5, 6)
    assert str(frame["time"].dtype) == "datetime64[ns]"
    assert [str(t) for t in frame["time"]] == [
        "2024-06-03 00:00:00", "2024-06-04 00:00:00", "2024-06-05 00:00:00",
        "2024-06-06 00:00:00", "2024-06-07 00:00:00"]
    assert frame.iloc[0][["open", "high", "low", "close"]].tolist() == [131.0, 133.5, 130.2, 133.0]
    assert frame["close"].tolist() == [133.0, 132.1, 130.5, 131.4, 134.8]
    assert frame["volume"].tolist() == [4_100_000, 3_900_500, 5_200_300, 2_800_000, 6_050_000]
    assert str(frame["volume"].dtype) == "int64"
    # Five candles in pages of two: three calls, the token carried over.
    requests = fake[0].candle_requests
    assert [r.page_token for r in requests] == ["", "2", "4"]
    first = requests[0]
    assert first.symbol == "FPT"
    assert first.interval == records.BAR_INTERVAL_ONE_DAY
    # Dates are Asia/Ho_Chi_Minh days; end is inclusive: [Jun 3 00:00, Jun 8 00:00) +07.
    assert first.start.ToDatetime() == datetime.datetime(2024, 6, 2, 17, 0)
    assert first.end.ToDatetime() == datetime.datetime(2024, 6, 7, 17, 0)


def test_history_range_units_and_count_back(fake: Fake, client: vnstream.Client) -> None:
    frame = Quote("FPT", client=client, units="vnd").history("2024-06-04", "2024-06-05")
    assert frame["close"].tolist() == [132_100.0, 130_500.0]
    tail = Quote("FPT", client=client).history(start="2024-06-01", end="2024-06-07",
                                               count_back=2)
    assert tail["close"].tolist() == [131.4, 134.8]
    assert tail.index.tolist() == [0, 1]
    records_ = Quote("FPT", client=client).history("2024-06-07", "2024-06-07", to_df=False)
    assert records_ == [{"time": pd.Timestamp("2024-06-07"), "open": 131.4, "high": 135.0,
                         "low": 131.4, "close": 134.8, "volume": 6_050_000}]


def test_history_index_in_points(fake: Fake, client: vnstream.Client) -> None:
    frame = Quote("VNINDEX", client=client).history("2024-06-07", "2024-06-07")
    assert frame["close"].tolist() == [134_800.0]  # Points are never scaled.


@pytest.mark.parametrize("name,value", [
    ("1m", records.BAR_INTERVAL_ONE_MINUTE), ("5m", records.BAR_INTERVAL_FIVE_MINUTES),
    ("15m", records.BAR_INTERVAL_FIFTEEN_MINUTES), ("30m", records.BAR_INTERVAL_THIRTY_MINUTES),
    ("1H", records.BAR_INTERVAL_ONE_HOUR), ("1D", records.BAR_INTERVAL_ONE_DAY),
    ("1W", records.BAR_INTERVAL_ONE_WEEK), ("1M", records.BAR_INTERVAL_ONE_MONTH)])
def test_history_intervals(fake: Fake, client: vnstream.Client, name: str, value: int) -> None:
    Quote("FPT", client=client).history("2024-06-03", "2024-06-07", interval=name)
    assert fake[0].candle_requests[-1].interval == value


def test_history_bad_arguments(client: vnstream.Client) -> None:
    with pytest.raises(ValueError, match="interval"):
        Quote("FPT", client=client).history("2024-06-03", interval="2D")
    with pytest.raises(ValueError, match="start"):
        Quote("FPT", client=client).history()
    with pytest.raises(ValueError, match="units"):
        Quote("FPT", client=client, units="usd")  # type: ignore[arg-type]


def test_history_unknown_symbol_is_a_grpc_error(client: vnstream.Client) -> None:
    import grpc
    with pytest.raises(grpc.RpcError) as error:
        Quote("XYZ", client=client).history("2024-06-03")
    assert error.value.code() == grpc.StatusCode.NOT_FOUND  # type: ignore[attr-defined]


def test_intraday(client: vnstream.Client) -> None:
    frame = Quote("FPT", client=client).intraday()
    assert list(frame.columns) == ["time", "price", "volume", "match_type", "id"]
    assert str(frame["time"].dtype) == "datetime64[ns, Asia/Ho_Chi_Minh]"
    assert [t.strftime("%H:%M") for t in frame["time"]] == ["09:15", "09:16", "14:45"]
    assert frame["price"].tolist() == [131.0, 131.2, 131.1]
    assert frame["volume"].tolist() == [1_000, 2_500, 90_000]
    assert frame["match_type"].tolist() == ["", "", "ATC"]
    assert frame["id"].tolist() == ["1", "2", "3"]
    assert Quote("FPT", client=client).intraday(page_size=2)["id"].tolist() == ["2", "3"]


def test_price_board_multiindex(fake: Fake, client: vnstream.Client) -> None:
    frame = Trading(client=client).price_board(["FPT", "vcb", "XYZ"])
    assert frame.shape[0] == 2
    assert isinstance(frame.columns, pd.MultiIndex)
    assert set(frame.columns.get_level_values(0)) == {"listing", "bid_ask", "match"}
    row = frame.iloc[0]
    assert row[("listing", "symbol")] == "FPT"
    assert row[("listing", "exchange")] == "HSX"
    assert row[("listing", "stock_type")] == "STOCK"
    assert row[("listing", "ceiling")] == 139_100.0
    assert row[("listing", "floor")] == 120_900.0
    assert row[("listing", "ref_price")] == 130_000.0
    assert row[("match", "match_price")] == 131_500.0
    assert row[("match", "avg_match_price")] == 131_300.5
    assert row[("match", "accumulated_volume")] == 2_447_800
    assert row[("match", "accumulated_value")] == pytest.approx(79_678.08)  # million VND
    assert row[("match", "foreign_buy_volume")] == 5_000
    assert row[("match", "foreign_sell_volume")] == 24_900
    assert row[("bid_ask", "bid_1_price")] == 131_400.0
    assert row[("bid_ask", "bid_1_volume")] == 122_100
    assert row[("bid_ask", "ask_1_price")] == 131_600.0
    assert math.isnan(row[("bid_ask", "ask_2_price")])  # Only one ask level.
    assert row[("bid_ask", "ask_2_volume")] == 0
    assert frame.iloc[1][("listing", "symbol")] == "VCB"
    assert frame.attrs["missing"] == [("XYZ", "SYMBOL_STATE_NOT_FOUND", "unknown")]
    vnd = Trading(client=client, units="vnd").price_board(["FPT"])
    assert vnd.iloc[0][("match", "accumulated_value")] == 79_678_080_000.0


def test_listing(client: vnstream.Client) -> None:
    stocks = Listing(client=client).all_symbols()
    assert stocks.to_dict("records") == [
        {"symbol": "FPT", "organ_name": "Công ty Cổ phần FPT"},
        {"symbol": "SHS", "organ_name": "Chứng khoán Sài Gòn - Hà Nội"}]
    every = Listing(client=client).symbols_by_exchange()
    assert every.values.tolist() == [
        ["E1VFVN30", "HSX", "ETF", "Quỹ ETF VN30"],
        ["FPT", "HSX", "STOCK", "Công ty Cổ phần FPT"],
        ["SHS", "HNX", "STOCK", "Chứng khoán Sài Gòn - Hà Nội"]]
    assert Listing(client=client).symbols_by_group("VN30").tolist() == ["FPT"]


def test_to_decimal_is_exact() -> None:
    import decimal
    value = records.Decimal(units=131_300, nanos=500_000_000)
    assert vnstream.to_decimal(value) == decimal.Decimal("131300.5")
    assert vnstream.to_decimal(records.Decimal(units=-1, nanos=-250_000_000)) == \
        decimal.Decimal("-1.25")

"""An in-process fake of the gateway's MarketDataService (grpcio) serving
known data, for the package's unit tests. Records the requests it gets."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc

from vnstream.v1 import market_data_pb2 as records
from vnstream.v1 import market_data_service_pb2 as pb
from vnstream.v1 import market_data_service_pb2_grpc as pb_grpc

VN = datetime.timezone(datetime.timedelta(hours=7))


def vnd(units: int, nanos: int = 0) -> records.Decimal:
    return records.Decimal(units=units, nanos=nanos)


def daily_candle(day: datetime.date, o: int, h: int, low: int, c: int, v: int) -> pb.Candle:
    candle = pb.Candle(open=vnd(o), high=vnd(h), low=vnd(low), close=vnd(c), volume=v, final=True)
    candle.start_time.FromDatetime(
        datetime.datetime(day.year, day.month, day.day, tzinfo=VN).astimezone(datetime.timezone.utc))
    candle.trading_date.year, candle.trading_date.month, candle.trading_date.day = (
        day.year, day.month, day.day)
    return candle


# FPT, five trading days of June 2024 (VND).
FPT_DAYS = [
    daily_candle(datetime.date(2024, 6, 3), 131_000, 133_500, 130_200, 133_000, 4_100_000),
    daily_candle(datetime.date(2024, 6, 4), 133_000, 134_000, 131_800, 132_100, 3_900_500),
    daily_candle(datetime.date(2024, 6, 5), 132_100, 132_900, 130_000, 130_500, 5_200_300),
    daily_candle(datetime.date(2024, 6, 6), 130_500, 131_600, 129_900, 131_400, 2_800_000),
    daily_candle(datetime.date(2024, 6, 7), 131_400, 135_000, 131_400, 134_800, 6_050_000),
]


def quote(symbol: str, seq: int, last: int, ref: int = 130_000) -> records.Quote:
    q = records.Quote(exchange=records.EXCHANGE_HOSE, trading_status="TRADING_ACTIVATED",
                      reference_price=vnd(ref), ceiling_price=vnd(139_100),
                      floor_price=vnd(120_900), last_price=vnd(last), last_volume=100,
                      high_price=vnd(last + 500), low_price=vnd(last - 1_000),
                      average_price=vnd(last - 200, 500_000_000), total_volume=2_447_800,
                      total_value=vnd(79_678_080_000), change=vnd(last - ref),
                      foreign_buy_volume=5_000, foreign_sell_volume=24_900)
    q.meta.symbol, q.meta.seq = symbol, seq
    q.meta.instrument_type = records.INSTRUMENT_TYPE_STOCK
    q.bids.add(price=vnd(last - 100), volume=122_100)
    q.bids.add(price=vnd(last - 200), volume=50_000)
    q.asks.add(price=vnd(last + 100), volume=76_400)
    return q


def quote_event(symbol: str, seq: int, conflated: int = 0, snapshot: bool = False,
                delivery: int = pb.DELIVERY_KAFKA) -> pb.MarketEvent:
    return pb.MarketEvent(quote=quote(symbol, seq, 131_000 + seq * 100), delivery=delivery,
                          snapshot=snapshot, channel=pb.CHANNEL_QUOTES, conflated=conflated)


def intraday_bar(symbol: str, seq: int, hour: int, minute: int, close: int,
                 volume: int) -> records.IntradayBar:
    bar = records.IntradayBar(open=vnd(close - 100), high=vnd(close + 100),
                              low=vnd(close - 200), close=vnd(close), volume=volume, final=True)
    bar.meta.symbol, bar.meta.seq = symbol, seq
    bar.start_time.FromDatetime(datetime.datetime(2024, 6, 7, hour, minute, tzinfo=VN))
    return bar


class FakeGateway(pb_grpc.MarketDataServiceServicer):
    """Candles for FPT (and VNINDEX), quotes, intraday bars, a listing; the
    quote stream is scripted per call by `quote_scripts`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.candle_requests: list[pb.GetCandlesRequest] = []
        self.subscribe_requests: list[pb.SubscribeRequest] = []
        self.metadata: list[dict[str, str]] = []
        self.page_size = 2
        # One entry per SubscribeQuotes call: events to send, then the
        # status to end with (None: stay open until cancelled).
        self.quote_scripts: list[tuple[list[pb.MarketEvent], grpc.StatusCode | None]] = []

    def _record(self, context: grpc.ServicerContext) -> None:
        with self.lock:
            self.metadata.append({k: str(v) for k, v in context.invocation_metadata()})

    def GetCandles(self, request: pb.GetCandlesRequest, context: Any) -> pb.GetCandlesResponse:
        self._record(context)
        with self.lock:
            self.candle_requests.append(pb.GetCandlesRequest.FromString(
                request.SerializeToString()))
        if request.symbol not in ("FPT", "VNINDEX"):
            context.abort(grpc.StatusCode.NOT_FOUND, f"{request.symbol} unknown")
        start, end = request.start.ToDatetime(), request.end.ToDatetime()
        candles = [c for c in FPT_DAYS if start <= c.start_time.ToDatetime() < end]
        offset = int(request.page_token or "0")
        page = candles[offset:offset + self.page_size]
        response = pb.GetCandlesResponse(
            symbol=request.symbol, interval=request.interval, candles=page,
            instrument_type=(records.INSTRUMENT_TYPE_INDEX if request.symbol == "VNINDEX"
                             else records.INSTRUMENT_TYPE_STOCK))
        if offset + self.page_size < len(candles):
            response.next_page_token = str(offset + self.page_size)
        return response

    def GetQuotes(self, request: pb.GetQuotesRequest, context: Any) -> pb.GetQuotesResponse:
        self._record(context)
        response = pb.GetQuotesResponse()
        for symbol in request.symbols:
            if symbol in ("FPT", "VCB"):
                response.items.add(quote=quote(symbol, 7, 131_500), delivery=pb.DELIVERY_KAFKA)
            else:
                response.missing.add(symbol=symbol, state=pb.SYMBOL_STATE_NOT_FOUND,
                                     message="unknown")
        return response

    def GetIntradayBars(self, request: pb.GetIntradayBarsRequest,
                        context: Any) -> pb.GetIntradayBarsResponse:
        self._record(context)
        bars = [intraday_bar(request.symbol, 1, 9, 15, 131_000, 1_000),
                intraday_bar(request.symbol, 2, 9, 16, 131_200, 2_500),
                intraday_bar(request.symbol, 3, 14, 45, 131_100, 90_000)]
        return pb.GetIntradayBarsResponse(symbol=request.symbol, bars=bars,
                                          delivery=pb.DELIVERY_KAFKA)

    def ListSymbols(self, request: pb.ListSymbolsRequest,
                    context: Any) -> pb.ListSymbolsResponse:
        self._record(context)
        infos = [
            pb.SymbolInfo(symbol="E1VFVN30", exchange=records.EXCHANGE_HOSE,
                          instrument_type=records.INSTRUMENT_TYPE_ETF, name="Quỹ ETF VN30"),
            pb.SymbolInfo(symbol="FPT", exchange=records.EXCHANGE_HOSE,
                          instrument_type=records.INSTRUMENT_TYPE_STOCK,
                          name="Công ty Cổ phần FPT", groups=["VN30"]),
            pb.SymbolInfo(symbol="SHS", exchange=records.EXCHANGE_HNX,
                          instrument_type=records.INSTRUMENT_TYPE_STOCK,
                          name="Chứng khoán Sài Gòn - Hà Nội", groups=["HNX30"]),
        ]
        return pb.ListSymbolsResponse(symbols=[
            i for i in infos
            if (not request.types or i.instrument_type in request.types) and
            (not request.groups or set(i.groups) & set(request.groups)) and
            (not request.exchanges or i.exchange in request.exchanges)])

    def SubscribeQuotes(self, request: pb.SubscribeRequest,
                        context: Any) -> Iterator[pb.MarketEvent]:
        self._record(context)
        with self.lock:
            self.subscribe_requests.append(pb.SubscribeRequest.FromString(
                request.SerializeToString()))
            script = self.quote_scripts.pop(0) if self.quote_scripts else ([], None)
        events, end = script
        yield from events
        if end is not None:
            context.abort(end, f"scripted {end.name}")
        while context.is_active():  # Open until the client cancels.
            threading.Event().wait(0.05)


class Server:
    """The fake on 127.0.0.1:<free port>, plaintext or TLS."""

    def __init__(self, servicer: FakeGateway,
                 credentials: grpc.ServerCredentials | None = None) -> None:
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        pb_grpc.add_MarketDataServiceServicer_to_server(servicer, self.server)
        address = "127.0.0.1:0"
        self.port = (self.server.add_secure_port(address, credentials) if credentials
                     else self.server.add_insecure_port(address))
        self.target = f"127.0.0.1:{self.port}"
        self.server.start()

    def stop(self) -> None:
        self.server.stop(grace=None)



"""Resuming subscriptions (blocking and asyncio).

    for event in vnstream.subscribe(client, "quotes", ["FPT", "VCB"]):
        ...
    async for event in vnstream.subscribe_async(aclient, "quotes", ["FPT"]):
        ...

A subscription remembers the last sequence number per symbol and, when the
stream ends (network, gateway restart, SLOW_CONSUMER), subscribes again with
`since_seq`, so the replay continues where it stopped and no record is seen
twice. FAILED_PRECONDITION (the resume point left the gateway's cache) starts
over with a fresh snapshot and counts a resync. Errors a retry cannot fix
(INVALID_ARGUMENT, NOT_FOUND, UNIMPLEMENTED, UNAUTHENTICATED,
PERMISSION_DENIED, RESOURCE_EXHAUSTED without SLOW_CONSUMER) are raised as
grpc.RpcError.

Gaps: for a symbol, seq - previous seq - 1 - MarketEvent.conflated records
never reached the gateway (conflated ones were replaced by newer versions on
purpose). Each such loss is recorded in `gaps` (and passed to `on_gap`).
A sequence starts over when the delivery path changes and, for intraday
channels, with each trading day; no gap is counted across such a change.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

import grpc

from vnstream.client import AsyncClient, Client
from vnstream.v1 import market_data_pb2 as records
from vnstream.v1 import market_data_service_pb2 as pb

# Channel names accepted besides the Channel enum.
CHANNELS: dict[str, pb.Channel.ValueType] = {
    "quotes": pb.CHANNEL_QUOTES,
    "intraday_bars": pb.CHANNEL_INTRADAY_BARS,
    "bars": pb.CHANNEL_INTRADAY_BARS,
    "history": pb.CHANNEL_HISTORY,
    "intraday_analytics": pb.CHANNEL_INTRADAY_ANALYTICS,
    "market": pb.CHANNEL_MARKET,
    "signals": pb.CHANNEL_SIGNALS,
}

_METHODS: dict[pb.Channel.ValueType, str] = {
    pb.CHANNEL_QUOTES: "SubscribeQuotes",
    pb.CHANNEL_INTRADAY_BARS: "SubscribeIntradayBars",
    pb.CHANNEL_HISTORY: "SubscribeHistory",
    pb.CHANNEL_INTRADAY_ANALYTICS: "SubscribeIntradayAnalytics",
    pb.CHANNEL_MARKET: "SubscribeMarket",
    pb.CHANNEL_SIGNALS: "SubscribeSignals",
}

# Channels whose records are numbered per trading day.
_PER_DAY = (pb.CHANNEL_INTRADAY_BARS, pb.CHANNEL_INTRADAY_ANALYTICS)

_FATAL = (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND,
          grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.UNAUTHENTICATED,
          grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.OUT_OF_RANGE)


def channel_of(channel: str | int) -> pb.Channel.ValueType:
    if isinstance(channel, str):
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}; one of {sorted(CHANNELS)}")
        return CHANNELS[channel]
    if channel not in _METHODS:
        raise ValueError(f"channel {channel} has no server stream")
    return pb.Channel.ValueType(channel)


def event_meta(event: pb.MarketEvent) -> records.RecordMeta | None:
    """The record meta of a data event; None for statuses, heartbeats, ..."""
    kind = event.WhichOneof("payload")
    if kind == "quote":
        return event.quote.meta
    if kind == "bar":
        return event.bar.meta
    if kind == "history":
        return event.history.meta
    if kind == "intraday_analytics":
        return event.intraday_analytics.meta
    if kind == "market":
        return event.market.meta
    if kind == "signal":
        return event.signal.meta
    return None


@dataclasses.dataclass(frozen=True)
class Gap:
    """Records of `symbol` that never reached the gateway: seqs after
    `previous_seq` and before `seq`, `lost` of them."""

    symbol: str
    previous_seq: int
    seq: int
    lost: int


@dataclasses.dataclass
class _Position:
    seq: int
    delivery: int
    trading_date: tuple[int, int, int] | None
    # History only: the last record arrived without indicators (PENDING);
    # its enriched version comes with the same seq.
    pending: bool = False


class _Tracker:
    """The I/O-free part of a resuming subscription: positions, dedup, gaps,
    the next request and what to do on an error. Not thread-safe (one per
    subscription)."""

    def __init__(self, channel: pb.Channel.ValueType, symbols: Sequence[str],
                 heartbeat_seconds: int, on_gap: Callable[[Gap], None] | None) -> None:
        self.channel = channel
        self.symbols = [s.upper() for s in symbols]
        self.heartbeat_seconds = heartbeat_seconds
        self.on_gap = on_gap
        self.positions: dict[str, _Position] = {}
        self.gaps: list[Gap] = []
        self.resyncs = 0
        self.reconnects = 0
        self.slow_consumer = False

    def request(self) -> pb.SubscribeRequest:
        request = pb.SubscribeRequest(symbols=self.symbols)
        request.heartbeat_interval.seconds = self.heartbeat_seconds
        for symbol, position in self.positions.items():
            # A pending history resumes at its seq - 1 so that its enriched
            # version (same seq) is replayed.
            request.since_seq[symbol] = position.seq - 1 if position.pending else position.seq
        self.slow_consumer = False
        return request

    def accept(self, event: pb.MarketEvent) -> bool:
        """Whether to pass the event on (False: a duplicate of one already
        passed). Records gaps."""
        if (event.WhichOneof("payload") == "status" and
                event.status.state == pb.SYMBOL_STATE_SLOW_CONSUMER):
            self.slow_consumer = True
        meta = event_meta(event)
        if meta is None:
            return True
        date = ((meta.trading_date.year, meta.trading_date.month, meta.trading_date.day)
                if self.channel in _PER_DAY else None)
        pending = (event.history.indicators_state == records.INDICATORS_STATE_PENDING
                   if self.channel == pb.CHANNEL_HISTORY else False)
        last = self.positions.get(meta.symbol)
        if last is not None and last.delivery == event.delivery and last.trading_date == date:
            duplicate = meta.seq < last.seq or (meta.seq == last.seq and not (last.pending and
                                                                             not pending))
            if duplicate:
                return False
            lost = meta.seq - last.seq - 1 - event.conflated
            if lost > 0:
                gap = Gap(meta.symbol, last.seq, meta.seq, lost)
                self.gaps.append(gap)
                if self.on_gap is not None:
                    self.on_gap(gap)
        self.positions[meta.symbol] = _Position(meta.seq, event.delivery, date, pending)
        return True

    def on_error(self, error: grpc.RpcError) -> None:
        """Raises the error unless a new subscription may fix it."""
        code = error.code()
        if code == grpc.StatusCode.FAILED_PRECONDITION:
            self.positions.clear()  # The resume point is gone: a fresh snapshot.
            self.resyncs += 1
        elif code in _FATAL or (code == grpc.StatusCode.RESOURCE_EXHAUSTED and
                                not self.slow_consumer):
            raise error


class _Backoff:
    def __init__(self, initial: float, maximum: float) -> None:
        self.initial = initial
        self.maximum = maximum
        self.next = initial

    def reset(self) -> None:
        self.next = self.initial

    def delay(self) -> float:
        delay = self.next * random.uniform(0.5, 1.0)
        self.next = min(self.next * 2, self.maximum)
        return delay


class Subscription:
    """A blocking resuming subscription; iterate it for MarketEvents. One
    thread iterates; close() may be called from any thread and ends the
    iteration."""

    def __init__(self, client: Client, channel: str | int, symbols: Sequence[str], *,
                 heartbeat_seconds: int = 15, on_gap: Callable[[Gap], None] | None = None,
                 initial_backoff: float = 0.2, max_backoff: float = 10.0) -> None:
        channel_value = channel_of(channel)
        self._method: Any = getattr(client.stub, _METHODS[channel_value])
        self._tracker = _Tracker(channel_value, symbols, heartbeat_seconds, on_gap)
        self._backoff = _Backoff(initial_backoff, max_backoff)
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._call: Any = None

    @property
    def gaps(self) -> list[Gap]:
        return self._tracker.gaps

    @property
    def resyncs(self) -> int:
        """How often the resume point was gone and a fresh snapshot followed."""
        return self._tracker.resyncs

    @property
    def reconnects(self) -> int:
        return self._tracker.reconnects

    def last_seq(self, symbol: str) -> int | None:
        position = self._tracker.positions.get(symbol.upper())
        return None if position is None else position.seq

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            if self._call is not None:
                self._call.cancel()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[pb.MarketEvent]:
        while not self._closed.is_set():
            with self._lock:
                call = self._call = self._method(self._tracker.request())
            try:
                for event in call:
                    self._backoff.reset()
                    if self._tracker.accept(event):
                        yield event
                    if self._closed.is_set():
                        return
            except grpc.RpcError as error:
                if self._closed.is_set():
                    return
                self._tracker.on_error(error)
            finally:
                call.cancel()
            self._tracker.reconnects += 1
            self._closed.wait(self._backoff.delay())


class AsyncSubscription:
    """The asyncio counterpart of Subscription: `async for event in sub`.
    close() ends the iteration (from the same event loop)."""

    def __init__(self, client: AsyncClient, channel: str | int, symbols: Sequence[str], *,
                 heartbeat_seconds: int = 15, on_gap: Callable[[Gap], None] | None = None,
                 initial_backoff: float = 0.2, max_backoff: float = 10.0) -> None:
        channel_value = channel_of(channel)
        self._method: Any = getattr(client.stub, _METHODS[channel_value])
        self._tracker = _Tracker(channel_value, symbols, heartbeat_seconds, on_gap)
        self._backoff = _Backoff(initial_backoff, max_backoff)
        self._closed = asyncio.Event()
        self._call: Any = None

    @property
    def gaps(self) -> list[Gap]:
        return self._tracker.gaps

    @property
    def resyncs(self) -> int:
        return self._tracker.resyncs

    @property
    def reconnects(self) -> int:
        return self._tracker.reconnects

    def last_seq(self, symbol: str) -> int | None:
        position = self._tracker.positions.get(symbol.upper())
        return None if position is None else position.seq

    def close(self) -> None:
        self._closed.set()
        if self._call is not None:
            self._call.cancel()

    def __aiter__(self) -> AsyncIterator[pb.MarketEvent]:
        return self._events()

    async def _events(self) -> AsyncIterator[pb.MarketEvent]:
        while not self._closed.is_set():
            call = self._call = self._method(self._tracker.request())
            try:
                async for event in call:
                    self._backoff.reset()
                    if self._tracker.accept(event):
                        yield event
                    if self._closed.is_set():
                        return
            except grpc.RpcError as error:
                if self._closed.is_set():
                    return
                self._tracker.on_error(error)
            except asyncio.CancelledError:
                if self._closed.is_set():
                    return
                raise
            finally:
                call.cancel()
            self._tracker.reconnects += 1
            try:
                await asyncio.wait_for(self._closed.wait(), self._backoff.delay())
            except asyncio.TimeoutError:
                pass


def subscribe(client: Client, channel: str | int, symbols: Sequence[str],
              **kwargs: Any) -> Subscription:
    """A resuming subscription of `channel` ("quotes", "intraday_bars",
    "history", "intraday_analytics", "market", "signals" or a Channel);
    keyword arguments as for Subscription."""
    return Subscription(client, channel, symbols, **kwargs)


def subscribe_async(client: AsyncClient, channel: str | int, symbols: Sequence[str],
                    **kwargs: Any) -> AsyncSubscription:
    """The asyncio counterpart of subscribe()."""
    return AsyncSubscription(client, channel, symbols, **kwargs)

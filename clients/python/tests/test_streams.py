"""Resuming subscriptions against the fake gateway: resume with since_seq,
deduplication, gap detection with MarketEvent.conflated, resync, errors."""

from __future__ import annotations

import asyncio

import grpc
import pytest

import vnstream
from fake_gateway import FakeGateway, Server, quote_event
from vnstream.streams import _Tracker
from vnstream.v1 import market_data_pb2 as records
from vnstream.v1 import market_data_service_pb2 as pb

Fake = tuple[FakeGateway, Server]
UNAVAILABLE = grpc.StatusCode.UNAVAILABLE


def take(subscription: vnstream.Subscription, n: int) -> list[pb.MarketEvent]:
    """The first n quote events."""
    out = []
    for event in subscription:
        if event.WhichOneof("payload") == "quote":
            out.append(event)
            if len(out) == n:
                subscription.close()
    return out


def seqs(events: list[pb.MarketEvent]) -> list[tuple[str, int]]:
    return [(e.quote.meta.symbol, e.quote.meta.seq) for e in events]


def test_resumes_with_since_seq_and_drops_replayed_duplicates(fake: Fake,
                                                              client: vnstream.Client) -> None:
    servicer, _ = fake
    servicer.quote_scripts = [
        ([quote_event("FPT", 5, snapshot=True), quote_event("VCB", 9, snapshot=True),
          pb.MarketEvent(snapshot_end=pb.SnapshotEnd()), quote_event("FPT", 6)], UNAVAILABLE),
        # The replay repeats FPT 6 (a gateway may replay from its cache).
        ([quote_event("FPT", 6, snapshot=True), quote_event("FPT", 7, snapshot=True),
          quote_event("VCB", 10)], None),
    ]
    sub = vnstream.subscribe(client, "quotes", ["fpt", "VCB"], heartbeat_seconds=2,
                             initial_backoff=0.01)
    events = take(sub, 5)
    assert seqs(events) == [("FPT", 5), ("VCB", 9), ("FPT", 6), ("FPT", 7), ("VCB", 10)]
    assert sub.reconnects == 1
    assert sub.gaps == []
    first, second = servicer.subscribe_requests
    assert list(first.symbols) == ["FPT", "VCB"]
    assert dict(first.since_seq) == {}
    assert first.heartbeat_interval.seconds == 2
    assert dict(second.since_seq) == {"FPT": 6, "VCB": 9}
    assert sub.last_seq("fpt") == 7


def test_gaps_count_only_what_conflation_does_not_explain(fake: Fake,
                                                          client: vnstream.Client) -> None:
    fake[0].quote_scripts = [([
        quote_event("FPT", 1),
        quote_event("FPT", 4, conflated=2),   # 2 and 3 replaced by 4: no loss
        quote_event("FPT", 8, conflated=1),   # 5..7: one conflated, two lost
        quote_event("FPT", 9),
    ], None)]
    seen: list[vnstream.Gap] = []
    sub = vnstream.subscribe(client, "quotes", ["FPT"], on_gap=seen.append)
    take(sub, 4)
    assert sub.gaps == [vnstream.Gap("FPT", 4, 8, 2)]
    assert seen == sub.gaps


def test_new_numbering_on_delivery_change_is_no_gap(fake: Fake,
                                                    client: vnstream.Client) -> None:
    fake[0].quote_scripts = [([
        quote_event("FPT", 40, delivery=pb.DELIVERY_VNSTOCK_FALLBACK),
        quote_event("FPT", 900, delivery=pb.DELIVERY_KAFKA),
        quote_event("FPT", 2, delivery=pb.DELIVERY_VNSTOCK_FALLBACK),
    ], None)]
    sub = vnstream.subscribe(client, "quotes", ["FPT"])
    assert [s for _, s in seqs(take(sub, 3))] == [40, 900, 2]
    assert sub.gaps == []


def test_failed_precondition_resubscribes_without_resume_point(
        fake: Fake, client: vnstream.Client) -> None:
    servicer, _ = fake
    servicer.quote_scripts = [
        ([quote_event("FPT", 3)], UNAVAILABLE),
        ([], grpc.StatusCode.FAILED_PRECONDITION),
        ([quote_event("FPT", 50, snapshot=True)], None),
    ]
    sub = vnstream.subscribe(client, "quotes", ["FPT"], initial_backoff=0.01)
    assert [s for _, s in seqs(take(sub, 2))] == [3, 50]
    assert [dict(r.since_seq) for r in servicer.subscribe_requests] == [{}, {"FPT": 3}, {}]
    assert sub.resyncs == 1
    assert sub.gaps == []  # A resync is counted as such, not as a gap.


@pytest.mark.parametrize("code", [grpc.StatusCode.INVALID_ARGUMENT,
                                  grpc.StatusCode.UNAUTHENTICATED,
                                  grpc.StatusCode.RESOURCE_EXHAUSTED])
def test_errors_a_retry_cannot_fix_are_raised(fake: Fake, client: vnstream.Client,
                                              code: grpc.StatusCode) -> None:
    fake[0].quote_scripts = [([quote_event("FPT", 1)], code)]
    sub = vnstream.subscribe(client, "quotes", ["FPT"], initial_backoff=0.01)
    with pytest.raises(grpc.RpcError) as error:
        list(sub)
    assert error.value.code() == code  # type: ignore[attr-defined]
    assert len(fake[0].subscribe_requests) == 1


def test_slow_consumer_resumes(fake: Fake, client: vnstream.Client) -> None:
    slow = pb.MarketEvent(status=pb.SymbolStatus(state=pb.SYMBOL_STATE_SLOW_CONSUMER))
    fake[0].quote_scripts = [
        ([quote_event("FPT", 1), slow], grpc.StatusCode.RESOURCE_EXHAUSTED),
        ([quote_event("FPT", 2)], None),
    ]
    sub = vnstream.subscribe(client, "quotes", ["FPT"], initial_backoff=0.01)
    assert [s for _, s in seqs(take(sub, 2))] == [1, 2]
    assert dict(fake[0].subscribe_requests[1].since_seq) == {"FPT": 1}


def test_history_pending_then_enriched_same_seq() -> None:
    tracker = _Tracker(pb.CHANNEL_HISTORY, ["FPT"], 15, None)

    def history(seq: int, state: int) -> pb.MarketEvent:
        event = pb.MarketEvent(history=pb.HistoryUpdate(indicators_state=state))
        event.history.meta.symbol, event.history.meta.seq = "FPT", seq
        return event

    assert tracker.accept(history(4, records.INDICATORS_STATE_ANALYTICS))
    assert tracker.accept(history(5, records.INDICATORS_STATE_PENDING))
    # Resuming now must replay seq 5 to get its enriched version.
    assert dict(tracker.request().since_seq) == {"FPT": 4}
    assert not tracker.accept(history(5, records.INDICATORS_STATE_PENDING))
    assert tracker.accept(history(5, records.INDICATORS_STATE_ANALYTICS))
    assert not tracker.accept(history(5, records.INDICATORS_STATE_ANALYTICS))
    assert dict(tracker.request().since_seq) == {"FPT": 5}
    assert tracker.gaps == []


def test_intraday_numbering_restarts_each_trading_day() -> None:
    tracker = _Tracker(pb.CHANNEL_INTRADAY_BARS, ["FPT"], 15, None)

    def bar(seq: int, day: int) -> pb.MarketEvent:
        event = pb.MarketEvent(bar=records.IntradayBar())
        event.bar.meta.symbol, event.bar.meta.seq = "FPT", seq
        event.bar.meta.trading_date.year, event.bar.meta.trading_date.month = 2024, 6
        event.bar.meta.trading_date.day = day
        return event

    assert tracker.accept(bar(254, 6))
    assert tracker.accept(bar(1, 7))     # A new day: not a duplicate, not a gap.
    assert tracker.accept(bar(3, 7))     # Seq 2 of the 7th is lost.
    assert tracker.gaps == [vnstream.Gap("FPT", 1, 3, 1)]


def test_async_subscription_resumes(fake: Fake) -> None:
    servicer, server = fake
    servicer.quote_scripts = [
        ([quote_event("FPT", 1), quote_event("FPT", 2)], UNAVAILABLE),
        ([quote_event("FPT", 3, conflated=0), quote_event("FPT", 6, conflated=1)], None),
    ]

    async def run() -> tuple[list[int], list[vnstream.Gap], int]:
        async with vnstream.connect_async(server.target) as aclient:
            sub = vnstream.subscribe_async(aclient, "quotes", ["FPT"], initial_backoff=0.01)
            got: list[int] = []
            async for event in sub:
                if event.WhichOneof("payload") == "quote":
                    got.append(event.quote.meta.seq)
                    if len(got) == 4:
                        sub.close()
            return got, sub.gaps, sub.reconnects

    got, gaps, reconnects = asyncio.run(asyncio.wait_for(run(), 30))
    assert got == [1, 2, 3, 6]
    assert reconnects == 1
    assert gaps == [vnstream.Gap("FPT", 3, 6, 1)]
    assert dict(servicer.subscribe_requests[1].since_seq) == {"FPT": 2}


def test_unknown_channel() -> None:
    with pytest.raises(ValueError, match="unknown channel"):
        vnstream.streams.channel_of("trades")

"""Python client of vnstream's gateway (gRPC).

The protobuf/gRPC stubs are generated from proto/ with grpcio-tools on first
import (into ~/.cache/vnstream/pystubs/<hash of the protos>), so they always
match the checked-out API. Besides the stubs, `subscribe()` is a resuming
subscription: it remembers the last sequence number per symbol and, when a
stream ends (network, gateway restart, SLOW_CONSUMER), re-subscribes with
since_seq; on FAILED_PRECONDITION it starts over with a fresh snapshot.

    from vnstream_client import connect, subscribe, pb
    stub = connect("127.0.0.1:50051", ca_file=".run/certs/ca.pem",
                   api_key=open(".run/demo.key").read().strip())
    for event in subscribe(stub, "quotes", ["FPT", "VCB"]):
        print(event)
"""

import hashlib
import importlib
import os
import pathlib
import random
import sys
import time

_PROTO_ROOT = pathlib.Path(__file__).resolve().parents[3] / "proto"
_PROTOS = ["vnstream/v1/market_data.proto", "vnstream/v1/market_data_service.proto"]


def _generate_stubs():
    digest = hashlib.sha256()
    for name in _PROTOS:
        digest.update((_PROTO_ROOT / name).read_bytes())
    cache = pathlib.Path(os.environ.get("VNSTREAM_CACHE",
                                        pathlib.Path.home() / ".cache" / "vnstream"))
    out = cache / "pystubs" / digest.hexdigest()[:16]
    if not (out / ".complete").exists():
        from grpc_tools import protoc  # pylint: disable=import-outside-toplevel
        import grpc_tools  # pylint: disable=import-outside-toplevel
        out.mkdir(parents=True, exist_ok=True)
        well_known = pathlib.Path(grpc_tools.__file__).parent / "_proto"
        code = protoc.main(["protoc", f"-I{_PROTO_ROOT}", f"-I{well_known}",
                            f"--python_out={out}", f"--grpc_python_out={out}", *_PROTOS])
        if code != 0:
            raise RuntimeError(f"protoc failed ({code}) for {_PROTO_ROOT}")
        (out / ".complete").touch()
    if str(out) not in sys.path:
        sys.path.insert(0, str(out))


_generate_stubs()

import grpc  # noqa: E402

pb = importlib.import_module("vnstream.v1.market_data_service_pb2")
records = importlib.import_module("vnstream.v1.market_data_pb2")
pb_grpc = importlib.import_module("vnstream.v1.market_data_service_pb2_grpc")

_METHODS = {"quotes": "SubscribeQuotes", "bars": "SubscribeIntradayBars",
            "history": "SubscribeHistory"}


def _read(path):
    return pathlib.Path(path).read_bytes() if path else None


def connect(target, ca_file=None, cert_file=None, key_file=None, api_key=None,
            plaintext=False):
    """A stub over a channel with keepalive settings the gateway accepts.

    TLS by default, verifying the gateway against the CA in `ca_file` (PEM;
    the demo's is .run/certs/ca.pem), else the system's CAs; `cert_file` and
    `key_file` are this client's certificate for mutual TLS. `api_key` is
    sent as "authorization: Bearer <key>" on every call (over TLS only).
    `plaintext` is only for a gateway run with insecure_plaintext."""
    options = [
        ("grpc.keepalive_time_ms", 20000),
        ("grpc.keepalive_timeout_ms", 10000),
        ("grpc.max_receive_message_length", 16 << 20),
    ]
    if plaintext:
        if api_key:
            raise ValueError("an API key is only sent over TLS")
        channel = grpc.insecure_channel(target, options=options)
    else:
        if bool(cert_file) != bool(key_file):
            raise ValueError("a client certificate needs its key, and a key its certificate")
        credentials = grpc.ssl_channel_credentials(
            root_certificates=_read(ca_file), private_key=_read(key_file),
            certificate_chain=_read(cert_file))
        if api_key:
            credentials = grpc.composite_channel_credentials(
                credentials, grpc.access_token_call_credentials(api_key))
        channel = grpc.secure_channel(target, credentials, options=options)
    return pb_grpc.MarketDataServiceStub(channel)


def decimal(value):
    """A vnstream.v1.Decimal as a Python Decimal (exact)."""
    from decimal import Decimal  # pylint: disable=import-outside-toplevel
    return Decimal(value.units) + Decimal(value.nanos) / Decimal(1_000_000_000)


def _meta(event):
    kind = event.WhichOneof("payload")
    if kind == "quote":
        return event.quote.meta
    if kind == "bar":
        return event.bar.meta
    if kind == "history":
        return event.history.meta
    return None


def subscribe(stub, kind, symbols, heartbeat_seconds=15, stop=None, max_backoff=10.0):
    """Yields MarketEvents of a resuming subscription until `stop()` is true
    or a non-retryable error (raised as grpc.RpcError)."""
    method = getattr(stub, _METHODS[kind])
    positions = {}  # symbol -> (seq, delivery, trading date)
    backoff = 0.2
    while stop is None or not stop():
        request = pb.SubscribeRequest(symbols=symbols)
        request.heartbeat_interval.seconds = heartbeat_seconds
        for symbol, (seq, _, _) in positions.items():
            request.since_seq[symbol] = seq
        slow_consumer = False
        stream = method(request)
        try:
            for event in stream:
                backoff = 0.2
                if (event.WhichOneof("payload") == "status" and
                        event.status.state == pb.SYMBOL_STATE_SLOW_CONSUMER):
                    slow_consumer = True
                meta = _meta(event)
                if meta is not None:
                    date = (meta.trading_date.year, meta.trading_date.month,
                            meta.trading_date.day) if kind == "bars" else None
                    seq, delivery, last_date = positions.get(meta.symbol, (0, None, None))
                    if delivery != event.delivery or last_date != date:
                        seq = 0  # A new numbering: another path or trading day.
                    if meta.seq <= seq:
                        continue
                    positions[meta.symbol] = (meta.seq, event.delivery, date)
                yield event
                if stop is not None and stop():
                    stream.cancel()
                    return
        except grpc.RpcError as error:
            code = error.code()
            if code == grpc.StatusCode.FAILED_PRECONDITION:
                positions.clear()
            elif code == grpc.StatusCode.RESOURCE_EXHAUSTED and not slow_consumer:
                raise
            elif code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND,
                          grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.PERMISSION_DENIED,
                          grpc.StatusCode.UNAUTHENTICATED):
                raise
        time.sleep(backoff * random.uniform(0.5, 1.0))
        backoff = min(backoff * 2, max_backoff)

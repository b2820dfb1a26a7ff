"""Connections to the gateway: target, TLS, API key.

    client = vnstream.connect("127.0.0.1:50051")
    client.stub.GetQuotes(pb.GetQuotesRequest(symbols=["FPT"]), timeout=10)

Without options a connection is plaintext with no key, as the local stack
serves. With `root_ca` (a PEM file) or `tls=True` (the system's roots) it is
TLS. An `api_key` is sent on every call as `authorization: Bearer <key>`
metadata: over TLS, or over plaintext only to a loopback address (gRPC's
local credentials refuse anything else, so a key never crosses a network in
the clear).

Clients are thread-safe (a gRPC channel is); create one per process and share
it. `from_env()` reads VNSTREAM_TARGET, VNSTREAM_ROOT_CA, VNSTREAM_TLS and
VNSTREAM_API_KEY.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
from typing import Any

import grpc
import grpc.aio

from vnstream.v1 import market_data_service_pb2_grpc as pb_grpc

DEFAULT_TARGET = "127.0.0.1:50051"

# Keepalive the gateway accepts (its minimum ping interval is 10 s), and room
# for a whole history snapshot in one message.
_CHANNEL_OPTIONS: list[tuple[str, Any]] = [
    ("grpc.keepalive_time_ms", 20_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.max_receive_message_length", 64 << 20),
]


@dataclasses.dataclass(frozen=True)
class ConnectionOptions:
    """How to reach the gateway."""

    # host:port (or any gRPC target).
    target: str = DEFAULT_TARGET
    # TLS with the system's root certificates.
    tls: bool = False
    # TLS with this PEM file of root certificates (implies tls).
    root_ca: str | None = None
    # Sent as `authorization: Bearer <api_key>` on every call.
    api_key: str | None = None
    # Expected server name in the certificate, when it differs from the
    # target's host (e.g. tests with a certificate for "localhost").
    server_name: str | None = None
    # Mutual TLS: this client's certificate chain and private key (PEM
    # files; together, TLS only).
    client_cert: str | None = None
    client_key: str | None = None

    @staticmethod
    def from_env() -> ConnectionOptions:
        """Options from VNSTREAM_TARGET, VNSTREAM_TLS (1/true),
        VNSTREAM_ROOT_CA (a PEM file) and VNSTREAM_API_KEY."""
        return ConnectionOptions(
            target=os.environ.get("VNSTREAM_TARGET") or DEFAULT_TARGET,
            tls=os.environ.get("VNSTREAM_TLS", "").lower() in ("1", "true", "yes"),
            root_ca=os.environ.get("VNSTREAM_ROOT_CA") or None,
            api_key=os.environ.get("VNSTREAM_API_KEY") or None,
        )

    @property
    def uses_tls(self) -> bool:
        return self.tls or self.root_ca is not None


class _BearerKey(grpc.AuthMetadataPlugin):
    def __init__(self, key: str) -> None:
        self._metadata = (("authorization", f"Bearer {key}"),)

    def __call__(self, context: grpc.AuthMetadataContext,
                 callback: grpc.AuthMetadataPluginCallback) -> None:
        callback(self._metadata, None)


def _is_loopback(target: str) -> bool:
    host = target.removeprefix("dns:///").removeprefix("ipv4:").removeprefix("ipv6:")
    if host.startswith("unix:"):
        return True
    host = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1:host.find("]")]
    return host in ("localhost", "::1") or host.startswith("127.")


def _credentials(options: ConnectionOptions) -> grpc.ChannelCredentials | None:
    """Channel credentials, or None for a plain insecure channel."""
    if bool(options.client_cert) != bool(options.client_key):
        raise ValueError("client_cert and client_key go together")
    if options.client_cert and not options.uses_tls:
        raise ValueError("a client certificate needs TLS (tls=True or root_ca=...)")
    if options.uses_tls:
        def read(path: str | None) -> bytes | None:
            return pathlib.Path(path).read_bytes() if path else None
        channel_creds = grpc.ssl_channel_credentials(
            root_certificates=read(options.root_ca), private_key=read(options.client_key),
            certificate_chain=read(options.client_cert))
    elif options.api_key:
        if not _is_loopback(options.target):
            raise ValueError(
                f"an API key over plaintext is only sent to a loopback address, not "
                f"{options.target!r}: use TLS (tls=True or root_ca=...)")
        channel_creds = grpc.local_channel_credentials(grpc.LocalConnectionType.LOCAL_TCP)
    else:
        return None
    if options.api_key:
        return grpc.composite_channel_credentials(
            channel_creds, grpc.metadata_call_credentials(_BearerKey(options.api_key)))
    return channel_creds


def _channel_options(options: ConnectionOptions) -> list[tuple[str, Any]]:
    extra = [("grpc.ssl_target_name_override", options.server_name)] if options.server_name else []
    return _CHANNEL_OPTIONS + extra


class Client:
    """A channel to the gateway and its MarketDataService stub (blocking API).
    Thread-safe; close() (or `with`) releases the channel."""

    def __init__(self, options: ConnectionOptions) -> None:
        self.options = options
        creds = _credentials(options)
        if creds is None:
            self.channel = grpc.insecure_channel(options.target, _channel_options(options))
        else:
            self.channel = grpc.secure_channel(options.target, creds, _channel_options(options))
        self.stub = pb_grpc.MarketDataServiceStub(self.channel)

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncClient:
    """The asyncio counterpart of Client (grpc.aio). Use it from one event
    loop; `await close()` (or `async with`) releases the channel."""

    def __init__(self, options: ConnectionOptions) -> None:
        self.options = options
        creds = _credentials(options)
        if creds is None:
            self.channel = grpc.aio.insecure_channel(options.target, _channel_options(options))
        else:
            self.channel = grpc.aio.secure_channel(options.target, creds,
                                                   _channel_options(options))
        self.stub = pb_grpc.MarketDataServiceStub(self.channel)

    async def close(self) -> None:
        await self.channel.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def connect(target: str = DEFAULT_TARGET, *, tls: bool = False, root_ca: str | None = None,
            api_key: str | None = None, server_name: str | None = None,
            client_cert: str | None = None, client_key: str | None = None) -> Client:
    """A blocking client (see ConnectionOptions for the arguments)."""
    return Client(ConnectionOptions(target, tls, root_ca, api_key, server_name, client_cert,
                                    client_key))


def connect_async(target: str = DEFAULT_TARGET, *, tls: bool = False,
                  root_ca: str | None = None, api_key: str | None = None,
                  server_name: str | None = None, client_cert: str | None = None,
                  client_key: str | None = None) -> AsyncClient:
    """An asyncio client; call it inside the event loop that will use it."""
    return AsyncClient(ConnectionOptions(target, tls, root_ca, api_key, server_name,
                                         client_cert, client_key))

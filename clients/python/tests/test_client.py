"""Connection options against the fake gateway: API key metadata, TLS with a
root CA file, and the refusal to send a key in the clear off loopback."""

from __future__ import annotations

import subprocess
from pathlib import Path

import grpc
import pytest

import vnstream
from fake_gateway import FakeGateway, Server
from vnstream.v1 import market_data_service_pb2 as pb

Fake = tuple[FakeGateway, Server]


def test_api_key_is_sent_as_bearer_metadata(fake: Fake) -> None:
    with vnstream.connect(fake[1].target, api_key="k-123") as client:
        client.stub.GetQuotes(pb.GetQuotesRequest(symbols=["FPT"]), timeout=10)
    assert fake[0].metadata[-1]["authorization"] == "Bearer k-123"


def test_no_key_no_metadata(fake: Fake, client: vnstream.Client) -> None:
    client.stub.GetQuotes(pb.GetQuotesRequest(symbols=["FPT"]), timeout=10)
    assert "authorization" not in fake[0].metadata[-1]


def test_key_over_plaintext_only_to_loopback() -> None:
    with pytest.raises(ValueError, match="TLS"):
        vnstream.connect("gateway.example:50051", api_key="k")


def test_options_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VNSTREAM_TARGET", "10.0.0.1:443")
    monkeypatch.setenv("VNSTREAM_TLS", "1")
    monkeypatch.setenv("VNSTREAM_API_KEY", "secret")
    monkeypatch.delenv("VNSTREAM_ROOT_CA", raising=False)
    assert vnstream.ConnectionOptions.from_env() == vnstream.ConnectionOptions(
        target="10.0.0.1:443", tls=True, api_key="secret")


def self_signed(tmp: Path) -> tuple[bytes, bytes]:
    key, cert = tmp / "key.pem", tmp / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return key.read_bytes(), cert.read_bytes()


def test_tls_with_root_ca_and_key(tmp_path: Path) -> None:
    key, cert = self_signed(tmp_path)
    servicer = FakeGateway()
    server = Server(servicer, grpc.ssl_server_credentials([(key, cert)]))
    try:
        with vnstream.connect(server.target, root_ca=str(tmp_path / "cert.pem"),
                              server_name="localhost", api_key="k-tls") as client:
            response = client.stub.GetQuotes(pb.GetQuotesRequest(symbols=["VCB"]), timeout=10)
        assert [i.quote.meta.symbol for i in response.items] == ["VCB"]
        assert servicer.metadata[-1]["authorization"] == "Bearer k-tls"
        # Plaintext to a TLS server fails rather than falling back.
        with vnstream.connect(server.target) as plain:
            with pytest.raises(grpc.RpcError) as error:
                plain.stub.GetQuotes(pb.GetQuotesRequest(symbols=["VCB"]), timeout=5)
        assert error.value.code() == grpc.StatusCode.UNAVAILABLE  # type: ignore[attr-defined]
    finally:
        server.stop()

"""Fixtures: a fake gateway in-process and a client connected to it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import vnstream  # noqa: E402
from fake_gateway import FakeGateway, Server  # noqa: E402


@pytest.fixture
def fake() -> Iterator[tuple[FakeGateway, Server]]:
    servicer = FakeGateway()
    server = Server(servicer)
    yield servicer, server
    server.stop()


@pytest.fixture
def client(fake: tuple[FakeGateway, Server]) -> Iterator[vnstream.Client]:
    with vnstream.connect(fake[1].target) as c:
        yield c

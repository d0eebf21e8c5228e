"""moto in server mode on 127.0.0.1: CloudWatch, S3, SQS, SNS over real HTTP for plain boto3 clients.

One server per test session (moto starts in ~1 s); each test gets a clean slate through moto's
``/moto-api/reset`` endpoint and an environment pointing every boto3 client at the server
(``AWS_ENDPOINT_URL``) with dummy credentials, so nothing can reach a real account.
"""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

REGION = "us-east-1"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing-secret",
    "AWS_SESSION_TOKEN": "testing-token",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


@dataclass
class MotoServer:
    """A running moto server: ``url`` for ``AWS_ENDPOINT_URL``, ``reset()`` to forget every resource."""

    url: str
    _server: object

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()

    def env(self) -> dict[str, str]:
        return {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": self.url}


def start_moto_server() -> MotoServer:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return MotoServer(url=f"http://{host}:{port}", _server=server)


@pytest.fixture(scope="session")
def moto_server_session() -> Iterator[MotoServer]:
    server = start_moto_server()
    try:
        yield server
    finally:
        server._server.stop()  # type: ignore[attr-defined]


@pytest.fixture
def moto_server(moto_server_session: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoServer]:
    """A clean moto server, with AWS_ENDPOINT_URL and fake credentials set for this test."""
    moto_server_session.reset()
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    for name, value in moto_server_session.env().items():
        monkeypatch.setenv(name, value)
    yield moto_server_session
    moto_server_session.reset()

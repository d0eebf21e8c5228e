"""Shared fixtures: a clean lambda_metrics state and environment for every test, and the emulators."""

from __future__ import annotations

import ipaddress
import os
import sys
from collections.abc import Iterator

import pytest
from emulators.fixtures import datadog_emulator  # noqa: F401  (re-exported fixture)

from lambda_metrics import testing

_OWN_VARS = ("LAMBDA_METRICS_", "DD_")


def _is_loopback(host: object) -> bool:
    if host in (None, "", "localhost") or (isinstance(host, str) and host.endswith(".localhost")):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _loopback_only(event: str, args: tuple[object, ...]) -> None:
    """Tests reach only 127.0.0.0/8 and ::1: any other connection or name lookup fails loudly."""
    if event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple) and not _is_loopback(address[0]):
            raise ConnectionRefusedError(f"tests may only connect to loopback addresses, not {address!r}")
    elif event == "socket.getaddrinfo" and not _is_loopback(args[0]):
        raise ConnectionRefusedError(f"tests may only resolve loopback names, not {args[0]!r}")


sys.addaudithook(_loopback_only)


@pytest.fixture(autouse=True)
def clean_metrics_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees another's configuration, buffer, cold start or the developer's DD_* variables."""
    for name in list(os.environ):
        if name.startswith(_OWN_VARS):
            monkeypatch.delenv(name)
    testing.reset()
    yield
    testing.reset()
from emulators.aws import moto_server, moto_server_session  # noqa: E402,F401  (re-exported fixtures)

"""The suite's own guard: only loopback addresses can be reached from a test (checked without traffic)."""

from __future__ import annotations

import pytest
from conftest import _loopback_only


@pytest.mark.parametrize("address", [("127.0.0.1", 80), ("127.8.9.10", 5000), ("::1", 443, 0, 0), ("localhost", 1)])
def test_loopback_connections_pass(address: tuple[object, ...]) -> None:
    _loopback_only("socket.connect", (None, address))


@pytest.mark.parametrize("address", [("192.0.2.1", 80), ("10.0.0.1", 443), ("api.datadoghq.com", 443)])
def test_any_other_connection_is_refused_before_it_is_made(address: tuple[object, ...]) -> None:
    with pytest.raises(ConnectionRefusedError, match="loopback"):
        _loopback_only("socket.connect", (None, address))


def test_name_lookups_other_than_loopback_are_refused() -> None:
    _loopback_only("socket.getaddrinfo", ("localhost", 80, 0, 0, 0, 0))
    with pytest.raises(ConnectionRefusedError, match=r"monitoring\.us-east-1\.amazonaws\.com"):
        _loopback_only("socket.getaddrinfo", ("monitoring.us-east-1.amazonaws.com", 443, 0, 0, 0, 0))


def test_unix_sockets_are_not_network() -> None:
    _loopback_only("socket.connect", (None, "/tmp/some.sock"))

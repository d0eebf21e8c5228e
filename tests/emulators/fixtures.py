"""Pytest fixtures for the emulators (imported by tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .datadog_api import DatadogEmulator


@pytest.fixture
def datadog_emulator() -> Iterator[DatadogEmulator]:
    """A started Datadog API emulator on 127.0.0.1, stopped after the test."""
    emulator = DatadogEmulator().start()
    try:
        yield emulator
    finally:
        emulator.stop()

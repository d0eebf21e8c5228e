"""Shared fixtures: a clean lambda_metrics state and environment for every test, and the emulators."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from emulators.fixtures import datadog_emulator  # noqa: F401  (re-exported fixture)

from lambda_metrics import testing

_OWN_VARS = ("LAMBDA_METRICS_", "DD_")


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

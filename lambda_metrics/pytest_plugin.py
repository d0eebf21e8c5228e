"""pytest plugin (entry point ``pytest11``): the ``captured_metrics`` fixture."""

from __future__ import annotations

import pytest

from .testing import CapturedMetrics, capture, reset

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def captured_metrics() -> Iterator[CapturedMetrics]:
    """The metrics the test wrote, parsed; strict mode on, state reset before and after."""
    reset()
    with capture() as metrics:
        yield metrics
    reset()

"""Helpers to test code that writes metrics: ``capture()``, ``FakeLambdaContext``, ``reset()``.

>>> from lambda_metrics.testing import capture
>>> with capture() as metrics:
...     handler(event, FakeLambdaContext())
>>> assert metrics[0].name == "lambda_metrics.invocations"

The ``captured_metrics`` pytest fixture (registered by this package's pytest plugin) does the same.
"""

from __future__ import annotations

import os
import time
import uuid
from contextlib import contextmanager

from ._metric import Metric
from ._parse import parse_emf, parse_line
from ._state import STATE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

__all__ = ["CapturedMetrics", "FakeLambdaContext", "capture", "reset"]


class CapturedMetrics(list[Metric]):
    """The metrics written inside :func:`capture`, parsed back from the written lines.

    ``lines`` holds the raw text lines, for tests of the exact output.
    """

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def named(self, name: str) -> list[Metric]:
        return [m for m in self if m.name == name]


class _CaptureStream:
    def __init__(self, into: CapturedMetrics, echo: object | None) -> None:
        self.into = into
        self.echo = echo

    def write(self, text: str) -> int:
        for line in text.splitlines():
            self.into.lines.append(line)
            if line.startswith('{"_aws"'):
                self.into.extend(parse_emf(line))
                continue
            metric = parse_line(line)
            if metric is not None:
                self.into.append(metric)
        if self.echo is not None:
            self.echo.write(text)  # type: ignore[attr-defined]
        return len(text)


@contextmanager
def capture(*, strict: bool = True, format: str = "monitoring", echo: bool = False) -> Iterator[CapturedMetrics]:
    """Collect the metrics written inside the block; strict mode is on (bad input raises).

    Buffered metrics are flushed at the end of the block. The previous configuration is restored.
    """
    captured = CapturedMetrics()
    import sys

    saved = (STATE.strict, STATE.formats, STATE.stream, STATE.enabled)
    STATE.configure(strict=strict, format=format, enabled=True,
                    stream=_CaptureStream(captured, sys.stdout if echo else None))
    try:
        yield captured
    finally:
        try:
            STATE.flush()
        finally:
            STATE.strict, STATE.formats, STATE.stream, STATE.enabled = saved
            STATE.refresh()


def reset(environ: Mapping[str, str] | None = None) -> None:
    """Back to a cold start: the next ``@instrument`` call is a cold start again, the configuration
    is read again from the environment (or ``environ``), counters and buffers are cleared."""
    STATE.reset(environ)


class FakeLambdaContext:
    """A stand-in for the Lambda context object, with a remaining-time clock.

    ``get_remaining_time_in_millis()`` counts down from ``timeout_s`` from creation, on ``clock``
    (``time.monotonic`` by default, read at each call).
    """

    def __init__(
        self,
        function_name: str = "test-function",
        memory_limit_in_mb: int = 128,
        timeout_s: float = 3.0,
        aws_request_id: str | None = None,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        function_version: str = "$LATEST",
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.function_name = function_name
        self.function_version = function_version
        self.memory_limit_in_mb = memory_limit_in_mb
        self.timeout_s = timeout_s
        self.aws_request_id = aws_request_id or str(uuid.uuid4())
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{account_id}:function:{function_name}"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex
        self.client_context: object | None = None  # set by mobile SDK invocations; None otherwise
        self.identity: object | None = None  # Cognito identity; None otherwise
        self._clock = clock
        self._deadline = self._now() + timeout_s

    def _now(self) -> float:
        return (self._clock or time.monotonic)()

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - self._now()) * 1000))

    def lambda_environment(self) -> dict[str, str]:
        """The environment variables Lambda sets for this function."""
        return {
            "AWS_LAMBDA_FUNCTION_NAME": self.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_limit_in_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": self.function_version,
            "AWS_LAMBDA_LOG_GROUP_NAME": self.log_group_name,
            "AWS_LAMBDA_LOG_STREAM_NAME": self.log_stream_name,
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
            "AWS_REGION": os.environ.get("AWS_REGION", self.invoked_function_arn.split(":")[3]),
            "LAMBDA_TASK_ROOT": os.getcwd(),
        }

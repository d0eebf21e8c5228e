"""@instrument: per-invocation metrics, exceptions untouched, cold starts, the timeout watchdog."""

from __future__ import annotations

import io
import time
from datetime import datetime, timezone
from typing import Any

import pytest
from freezegun import freeze_time

import lambda_metrics as lm
from lambda_metrics.testing import FakeLambdaContext, capture

NOW = 1_700_000_000
FROZEN = datetime.fromtimestamp(NOW, tz=timezone.utc)


@freeze_time(FROZEN)
def test_success_writes_invocation_duration_and_cold_start_then_warm() -> None:
    @lm.instrument
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        lm.count("inside", 1)
        return {"ok": event["n"]}

    ctx = FakeLambdaContext(function_name="screen-resize")
    with capture() as metrics:
        assert handler({"n": 1}, ctx) == {"ok": 1}
        first = len(metrics)
        assert handler({"n": 2}, ctx) == {"ok": 2}
    lines = metrics.lines
    assert lines[:first] == [
        f"MONITORING|{NOW}|1|count|inside|#",
        f"MONITORING|{NOW}|1|count|lambda_metrics.invocations|#function_name:screen-resize,cold_start:true",
        f"MONITORING|{NOW}|0.0|histogram|lambda_metrics.duration|#function_name:screen-resize,cold_start:true",
        f"MONITORING|{NOW}|1|count|lambda_metrics.cold_starts|#function_name:screen-resize,cold_start:true",
    ]
    assert [m.name for m in metrics[first:]] == ["inside", "lambda_metrics.invocations", "lambda_metrics.duration"]
    assert metrics[first + 1].tags == ("function_name:screen-resize", "cold_start:false")


def test_exception_passes_through_unchanged_and_is_counted() -> None:
    boom = KeyError("missing")

    @lm.instrument
    def handler(event: Any, context: Any) -> None:
        raise boom

    with capture() as metrics, pytest.raises(KeyError) as info:
        handler({}, FakeLambdaContext(function_name="f"))
    assert info.value is boom
    errors = metrics.named("lambda_metrics.errors")
    assert len(errors) == 1
    assert errors[0].tags == ("function_name:f", "cold_start:true", "error_type:keyerror")
    assert len(metrics.named("lambda_metrics.invocations")) == 1
    assert len(metrics.named("lambda_metrics.duration")) == 1


def test_duration_is_measured_in_milliseconds() -> None:
    @lm.instrument
    def handler(event: Any, context: Any) -> None:
        time.sleep(0.02)

    with capture() as metrics:
        handler({}, FakeLambdaContext())
    (duration,) = metrics.named("lambda_metrics.duration")
    assert 15 <= duration.value < 1000


def test_always_flushes_buffered_metrics_at_the_end_of_the_invocation() -> None:
    out = io.StringIO()
    lm.configure(stream=out, buffered=True)

    @lm.instrument
    def handler(event: Any, context: Any) -> None:
        lm.count("a", 1)
        lm.count("a", 1)
        raise RuntimeError("x")

    with pytest.raises(RuntimeError):
        handler({}, FakeLambdaContext())
    names = [line.split("|")[4] for line in out.getvalue().splitlines()]
    assert names.count("a") == 1 and "lambda_metrics.errors" in names
    assert "|2|count|a|" in out.getvalue()


def test_custom_namespace_and_refused_namespaces() -> None:
    @lm.instrument(namespace="imaging")
    def handler(event: Any, context: Any) -> int:
        return 7

    with capture() as metrics:
        assert handler({}, None) == 7
    assert {m.name for m in metrics} == {"imaging.invocations", "imaging.duration", "imaging.cold_starts"}
    assert metrics[0].tags == ("cold_start:true",)  # no context: no function_name tag
    for bad in ("aws.lambda", "aws", "datadog.x", "1abc", "ends."):
        with pytest.raises(lm.MetricError):
            lm.instrument(namespace=bad)


def test_library_failure_never_breaks_the_handler(capsys: pytest.CaptureFixture[str]) -> None:
    class Broken:
        def write(self, text: str) -> int:
            raise OSError("stdout gone")

    lm.configure(stream=Broken())

    @lm.instrument
    def handler(event: Any, context: Any) -> str:
        return "fine"

    assert handler({}, FakeLambdaContext()) == "fine"
    assert lm.dropped() >= 1
    assert "could not write" in capsys.readouterr().err


def test_strict_mode_problem_does_not_replace_the_handler_exception() -> None:
    class Weird(Exception):
        pass

    lm.configure(stream=io.StringIO(), strict=True)

    @lm.instrument
    def handler(event: Any, context: Any) -> None:
        raise Weird()

    with pytest.raises(Weird):
        handler({}, FakeLambdaContext())


def test_watchdog_reports_a_timeout_before_the_deadline() -> None:
    out = io.StringIO()
    lm.configure(stream=out, buffered=True)

    @lm.instrument(watchdog=True, watchdog_margin_ms=100)
    def handler(event: Any, context: Any) -> None:
        lm.count("work.started", 1)
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline and "timeouts" not in out.getvalue():
            time.sleep(0.01)

    ctx = FakeLambdaContext(function_name="slow", timeout_s=0.3)
    started = time.monotonic()
    handler({}, ctx)
    text = out.getvalue()
    # The watchdog fired at ~0.2 s: it wrote the timeout and flushed what was buffered.
    timeout_line = next(line for line in text.splitlines() if "lambda_metrics.timeouts" in line)
    assert timeout_line.endswith("|#function_name:slow,cold_start:true")
    before_timeout = text[: text.index(timeout_line)]
    assert "work.started" in before_timeout
    assert time.monotonic() - started < 0.9


def test_watchdog_stays_quiet_when_the_handler_finishes_in_time() -> None:
    @lm.instrument(watchdog=True, watchdog_margin_ms=100)
    def handler(event: Any, context: Any) -> None:
        return None

    with capture() as metrics:
        handler({}, FakeLambdaContext(timeout_s=0.25))
        time.sleep(0.3)
    assert metrics.named("lambda_metrics.timeouts") == []


def test_watchdog_under_freezegun_still_fires_on_real_time() -> None:
    out = io.StringIO()
    lm.configure(stream=out)

    @lm.instrument(watchdog=True, watchdog_margin_ms=50)
    def handler(event: Any, context: Any) -> None:
        deadline = time.perf_counter() + 1.0
        while "timeouts" not in out.getvalue() and time.perf_counter() < deadline:
            time.sleep(0.01)

    with freeze_time(FROZEN):
        handler({}, FakeLambdaContext(timeout_s=0.2, clock=lambda: 0.0))
    # freezegun hands real time to calls made from threading's frames, so only the name is checked.
    assert "|1|count|lambda_metrics.timeouts|#function_name:test-function" in out.getvalue()

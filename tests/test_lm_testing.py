"""The helpers users test their own handlers with."""

from __future__ import annotations

import io

import pytest

import lambda_metrics as lm
from lambda_metrics import testing
from lambda_metrics.testing import CapturedMetrics, FakeLambdaContext


def test_capture_is_strict_and_restores_the_configuration() -> None:
    out = io.StringIO()
    lm.configure(stream=out, strict=False, format="datadog-json")
    with testing.capture() as metrics:
        lm.count("a", 1)
        with pytest.raises(lm.MetricError):
            lm.count("bad name", 1)
    assert [m.name for m in metrics] == ["a"]
    assert metrics.lines[0].startswith("MONITORING|")
    lm.count("b", 1)
    assert out.getvalue().startswith('{"m":"b"')
    lm.count("bad name", 1)  # lenient again
    assert lm.dropped() == 1


def test_capture_flushes_buffered_metrics() -> None:
    lm.configure(buffered=True, stream=io.StringIO())
    with testing.capture() as metrics:
        lm.count("a", 1)
        lm.count("a", 2)
        assert metrics == []
    assert [(m.name, m.value) for m in metrics] == [("a", 3)]


def test_captured_metrics_fixture(captured_metrics: CapturedMetrics) -> None:
    lm.gauge("queue.depth", 3, tags={"queue": "resize"})
    assert captured_metrics[0].tag_dict() == {"queue": "resize"}
    with pytest.raises(lm.MetricError):
        lm.gauge("queue.depth", float("nan"))


def test_reset_rereads_the_environment_and_is_a_cold_start(monkeypatch: pytest.MonkeyPatch) -> None:
    @lm.instrument
    def handler(event: object, context: object) -> None:
        pass

    with testing.capture() as metrics:
        handler({}, None)
        handler({}, None)
    assert len(metrics.named("lambda_metrics.cold_starts")) == 1
    monkeypatch.setenv("DD_SERVICE", "resizer")
    testing.reset()
    with testing.capture() as metrics:
        handler({}, None)
    assert len(metrics.named("lambda_metrics.cold_starts")) == 1
    assert "service:resizer" in metrics[0].tags


def test_fake_context_counts_down_on_its_clock() -> None:
    now = [100.0]
    ctx = FakeLambdaContext(function_name="screen-resize", memory_limit_in_mb=1024, timeout_s=30,
                            clock=lambda: now[0])
    assert ctx.get_remaining_time_in_millis() == 30_000
    now[0] += 12.5
    assert ctx.get_remaining_time_in_millis() == 17_500
    now[0] += 100
    assert ctx.get_remaining_time_in_millis() == 0
    assert ctx.invoked_function_arn == "arn:aws:lambda:us-east-1:123456789012:function:screen-resize"
    assert ctx.memory_limit_in_mb == 1024 and len(ctx.aws_request_id) == 36
    env = ctx.lambda_environment()
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "screen-resize"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "1024"


def test_pytest_plugin_is_registered_through_the_entry_point() -> None:
    from importlib.metadata import entry_points

    (entry,) = [e for e in entry_points(group="pytest11") if e.name == "lambda_metrics"]
    assert entry.value == "lambda_metrics.pytest_plugin"

"""Declared metrics: validated once, pre-encoded, and always in step with the configuration."""

from __future__ import annotations

import io
from datetime import datetime, timezone

from freezegun import freeze_time

import lambda_metrics as lm
from lambda_metrics import testing

NOW = 1_700_000_000
FROZEN = datetime.fromtimestamp(NOW, tz=timezone.utc)


@freeze_time(FROZEN)
def test_counter_gauge_histogram_check_lines() -> None:
    out = io.StringIO()
    lm.configure(stream=out, strict=True)
    images = lm.Counter("screen_resize.images", tags=("format",), description="Images resized")
    resize = lm.Histogram("screen_resize.resize_ms", unit="millisecond")
    depth = lm.Gauge("queue.depth")
    pipeline = lm.Check("image.pipeline", tags=("stage",))
    images.inc()
    images.inc(3, format="PNG")
    resize.observe(41.7)
    depth.set(4)
    pipeline.warning(stage="upload")
    pipeline.report(lm.OK)
    assert out.getvalue().splitlines() == [
        f"MONITORING|{NOW}|1|count|screen_resize.images|#",
        f"MONITORING|{NOW}|3|count|screen_resize.images|#format:png",
        f"MONITORING|{NOW}|41.7|histogram|screen_resize.resize_ms|#",
        f"MONITORING|{NOW}|4|gauge|queue.depth|#",
        f"MONITORING|{NOW}|1|check|image.pipeline|#stage:upload",
        f"MONITORING|{NOW}|0|check|image.pipeline|#",
    ]


def test_declared_metadata_is_kept_for_the_catalogue() -> None:
    images = lm.Counter("screen_resize.images", tags=("format", "bucket"), description="Images resized")
    resize = lm.Histogram("screen_resize.resize_ms", unit="millisecond")
    assert (images.name, images.type, images.tag_keys, images.description, images.unit) == (
        "screen_resize.images", "count", ("format", "bucket"), "Images resized", None)
    assert (resize.type, resize.unit) == ("histogram", "millisecond")
    assert repr(images) == "Counter('screen_resize.images', tags=('format', 'bucket'))"


def test_tags_are_written_in_declaration_order() -> None:
    images = lm.Counter("i", tags=("format", "bucket"))
    with testing.capture() as metrics:
        images.inc(bucket="In", format="png")
        images.inc(format="png", bucket="In")
    assert [m.tags for m in metrics] == [("format:png", "bucket:in")] * 2


def test_reconfiguring_rebuilds_the_pre_encoded_line() -> None:
    images = lm.Counter("i")
    first, second = io.StringIO(), io.StringIO()
    lm.configure(stream=first)
    images.inc()
    lm.configure(stream=second, default_tags=["env:prod"], format="datadog-json")
    images.inc(2)
    assert first.getvalue().endswith("|1|count|i|#\n")
    assert second.getvalue().endswith(',"t":["env:prod"]}\n')
    assert '"v":2' in second.getvalue()


def test_histogram_time_observes_milliseconds() -> None:
    resize = lm.Histogram("r", tags=("size",))
    with testing.capture() as metrics, resize.time(size="large"):
        pass
    assert metrics[0].tags == ("size:large",)
    assert 0 <= metrics[0].value < 1000


def test_counter_with_explicit_float_value() -> None:
    with testing.capture() as metrics:
        lm.Counter("bytes").inc(1.5)
    assert metrics[0].value == 1.5


def test_unhashable_tag_values_still_work() -> None:
    images = lm.Counter("i", tags=("format",))
    with testing.capture() as metrics:
        images.inc(format=["png"])
        lm.count("a", 1, tags={"k": ["v"]})
    assert metrics[0].tags == ("format:__png__",)
    assert metrics[1].tags == ("k:__v__",)

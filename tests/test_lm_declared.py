"""Declared metrics: validated once, pre-encoded, and always in step with the configuration."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone

import pytest
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


@freeze_time(FROZEN)
def test_tagged_writes_what_the_same_call_with_tags_writes() -> None:
    images = lm.Counter("img.n", tags=("format", "size"))
    png = images.tagged(format="PNG")
    png_small = png.tagged(size="small")
    resize = lm.Histogram("img.ms", tags=("format",), unit="millisecond")
    depth = lm.Gauge("q.depth", tags=("queue",)).tagged(queue="resize")
    stage = lm.Check("img.pipeline", tags=("stage",)).tagged(stage="upload")
    for default_tags in ([], ["env:prod"]):  # a change of configuration rebuilds every tail
        out = io.StringIO()
        lm.configure(stream=out, strict=True, default_tags=default_tags)
        for _ in range(2):  # the first call builds the cached tail, the second uses it
            png.inc()
            images.inc(format="PNG")
            png.inc(2, size="large")
            images.inc(2, size="large", format="PNG")
            png_small.inc()
            images.inc(format="png", size="small")
            resize.tagged(format="png").observe(1.5)
            depth.set(4)
            stage.warning()
        env = ",env:prod" if default_tags else ""
        assert out.getvalue().splitlines() == [
            f"MONITORING|{NOW}|1|count|img.n|#format:png{env}",
            f"MONITORING|{NOW}|1|count|img.n|#format:png{env}",
            f"MONITORING|{NOW}|2|count|img.n|#format:png,size:large{env}",
            f"MONITORING|{NOW}|2|count|img.n|#format:png,size:large{env}",
            f"MONITORING|{NOW}|1|count|img.n|#format:png,size:small{env}",
            f"MONITORING|{NOW}|1|count|img.n|#format:png,size:small{env}",
            f"MONITORING|{NOW}|1.5|histogram|img.ms|#format:png{env}",
            f"MONITORING|{NOW}|4|gauge|q.depth|#queue:resize{env}",
            f"MONITORING|{NOW}|1|check|img.pipeline|#stage:upload{env}",
        ] * 2


def test_tagged_in_buffered_and_emf_modes_keeps_the_bound_tags() -> None:
    png = lm.Counter("img.n", tags=("format", "size")).tagged(format="png")
    out = io.StringIO()
    lm.configure(stream=out, buffered=True, format="emf")
    png.inc()
    png.inc(size="large")
    png.inc(2, size="large")
    lm.flush()
    docs = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(d["_aws"]["CloudWatchMetrics"][0]["Dimensions"], d.get("format"), d.get("size"), d["img.n"])
            for d in docs] == [([[], ["format"]], "png", None, 1), ([[], ["format", "size"]], "png", "large", 3)]


def test_tagged_refuses_bad_keys_at_once_and_leaves_the_parent_untouched() -> None:
    images = lm.Counter("img.n", tags=("format", "size"))
    png = images.tagged(format="png")
    with pytest.raises(lm.MetricError, match=r"tag key 'nope' of metric 'img.n': not declared on this metric "
                                             r"\(declared: format, size\)"):
        images.tagged(nope="x")
    with pytest.raises(lm.MetricError, match=r"tag key 'format' .*already set to 'png' by tagged\(\)"):
        png.tagged(format="jpg")
    with testing.capture() as bare:
        images.tagged(format=None).inc(size=None)  # None: a bare tag, as for inc()
    assert bare[0].tags == ("format", "size")
    assert repr(png) == "Counter('img.n', tags=('format', 'size')).tagged(format='png')"
    assert png.tag_keys == images.tag_keys == ("format", "size")
    with testing.capture() as metrics:
        images.inc(size="s")
        with pytest.raises(lm.MetricError, match="already set to 'png'"):
            png.inc(format="jpg")
    assert [m.tags for m in metrics] == [("size:s",)]


def test_tagged_call_with_an_overridden_key_is_dropped_and_counted_when_lenient() -> None:
    png = lm.Counter("img.n", tags=("format",)).tagged(format="png")
    out = io.StringIO()
    lm.configure(stream=out)
    png.inc(format="jpg")
    assert out.getvalue() == "" and lm.dropped() == 1


def test_tag_value_caches_never_mix_keys_orders_or_value_types() -> None:
    """Per-call tag values are cached by the values (every key given) or by the items (a subset): twice
    each, so the second call takes the cached path; wrong keys are refused on both paths."""
    one = lm.Counter("one", tags=("format",))
    two = lm.Counter("two", tags=("format", "size"))
    with testing.capture() as metrics:
        for _ in range(2):
            one.inc(format="png")
            one.inc(format=1)
            one.inc(format=True)
            one.inc(format="1")
            two.inc(format="png", size="l")
            two.inc(size="l", format="png")
            two.inc(size="s", format="jpg")
            two.inc(size="l")
            two.inc(format="png")
            for bad in ({"nope": "png"}, {"format": "png", "nope": "l"}, {"nope": "png", "format": "png"}):
                with pytest.raises(lm.MetricError, match=r"tag key 'nope'.*not declared"):
                    (one if len(bad) == 1 else two).inc(**bad)
    assert [m.tags for m in metrics] == [
        ("format:png",), ("format:1",), ("format:true",), ("format:1",),
        ("format:png", "size:l"), ("format:png", "size:l"), ("format:jpg", "size:s"), ("size:l",), ("format:png",),
    ] * 2


tag_keys = st.lists(st.from_regex(r"\A[a-z][a-z0-9_./-]{0,8}\Z"), max_size=3, unique=True)
tag_values = st.one_of(st.text(max_size=8), st.sampled_from(["1", "png", "a|b", "x,y", "\n"]), st.integers(-3, 3),
                       st.booleans(), st.floats(allow_nan=False), st.none())
gauge_values = st.one_of(st.integers(-(10**15), 10**15), st.floats(allow_nan=False, allow_infinity=False))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(keys=tag_keys, data=st.data(), value=gauge_values, fmt=st.sampled_from(["monitoring", "datadog-json"]),
       buffered=st.booleans())
def test_property_every_declared_path_writes_what_the_module_function_writes(
    keys: list[str], data: st.DataObject, value: float, fmt: str, buffered: bool
) -> None:
    """Per-call tag values (in any keyword order), tags bound by tagged(), and lm.gauge with the same
    tags write the same line, on the first call (full path) and the second (cached paths)."""
    values = {k: data.draw(tag_values, label=k) for k in keys}
    order = data.draw(st.permutations(keys), label="keyword order")
    testing.reset()
    out = io.StringIO()
    lm.configure(stream=out, strict=True, format=fmt, buffered=buffered)
    with freeze_time(FROZEN):
        gauge = lm.Gauge("p.gauge", tags=tuple(keys))
        bound = gauge.tagged(**{k: values[k] for k in order})
        for _ in range(2):
            gauge.set(value, **{k: values[k] for k in order})
            bound.set(value)
            lm.gauge("p.gauge", value, tags=values)
        lm.flush()
    lines = out.getvalue().splitlines()
    assert len(lines) == 6 and len(set(lines)) == 1, lines
    assert lm.parse_line(lines[0]) is not None

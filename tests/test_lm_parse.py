"""parse_line is the exact inverse of the encoders, and accepts exactly what the format allows."""

from __future__ import annotations

import io
import string
from datetime import datetime, timezone

import pytest
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lambda_metrics as lm
from lambda_metrics import Metric, testing


def test_reads_back_what_the_encoders_write() -> None:
    assert lm.parse_line("MONITORING|1700000000|3|count|image.processed|#format:png,size:l\n") == Metric(
        "image.processed", 3, "count", ("format:png", "size:l"), 1700000000)
    assert lm.parse_line("MONITORING|1700000000|41.7|histogram|r|#") == Metric("r", 41.7, "histogram", (), 1700000000)
    assert lm.parse_line('{"m":"a.b","v":2.5,"e":1700000000,"t":["k:v"]}') == Metric(
        "a.b", 2.5, "distribution", ("k:v",), 1700000000)


def test_the_tag_field_may_be_absent_as_datadog_allows() -> None:
    assert lm.parse_line("MONITORING|1700000000|1|gauge|q") == Metric("q", 1, "gauge", (), 1700000000)


@pytest.mark.parametrize("line", ["START RequestId: 1 Version: $LATEST", "", "hello MONITORING|x", '{"level":"info"}'])
def test_other_lines_are_none(line: str) -> None:
    assert lm.parse_line(line) is None


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("MONITORING|1700000000|1|count", "line"),
        ("MONITORING|1700000000|1|count|a|#|extra", "line"),
        ("MONITORING|17e8|1|count|a|#", "timestamp"),
        ("MONITORING|1700000000000|1|count|a|#", "timestamp"),
        ("MONITORING|-5|1|count|a|#", "timestamp"),
        ("MONITORING|1700000000|nan|count|a|#", "value"),
        ("MONITORING|1700000000|inf|count|a|#", "value"),
        ("MONITORING|1700000000|1_000|count|a|#", "value"),
        ("MONITORING|1700000000||count|a|#", "value"),
        ("MONITORING|1700000000|1|counter|a|#", "type"),
        ("MONITORING|1700000000|1|count|1a|#", "name"),
        ("MONITORING|1700000000|1|count|a|k:v", "tags"),
        ("MONITORING|1700000000|1|count|a|#K:V", "tag"),
        ("MONITORING|1700000000|1|count|a|#k:v,", "tag"),
        ("MONITORING|1700000000|1|count|a|#k v", "tag"),
        ("MONITORING|1700000000|4|check|a|#", "value"),
        ('{"m":"a","v":1,"e":1700000000,"t":[],"x":1}', "line"),
        ('{"m":"a","v":"1","e":1700000000,"t":[]}', "value"),
        ('{"m":"a","v":1,"e":1.5,"t":[]}', "timestamp"),
        ('{"m":"a","v":1,"e":1700000000,"t":"k:v"}', "tags"),
    ],
)
def test_malformed_metric_lines_raise_naming_the_field(line: str, field: str) -> None:
    with pytest.raises(lm.MetricError) as info:
        lm.parse_line(line)
    assert info.value.field == field


FROZEN = datetime.fromtimestamp(1_700_000_000, tz=timezone.utc)

names = st.one_of(
    st.from_regex(r"\A[A-Za-z][A-Za-z0-9_.]{0,40}\Z"),
    st.text(max_size=30),
    st.just("a" * 201),
)
tag_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=30) | st.sampled_from(
    ["k:v", "a|b", "x,y", "#", "\n", "\r\n", "k:", ":v", "ok:\nMONITORING|1|1|count|x|#"])
tags = st.one_of(
    st.none(),
    st.lists(tag_text, max_size=5),
    st.dictionaries(st.text(max_size=10), st.one_of(st.text(max_size=10), st.integers(), st.none()), max_size=4),
)
values = st.one_of(
    st.integers(min_value=-(10**18), max_value=10**18),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=3),
    st.none(),
)
kinds = st.sampled_from(["count", "gauge", "histogram", "check"])


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(name=names, value=values, tag_arg=tags, kind=kinds, fmt=st.sampled_from(["monitoring", "datadog-json"]))
def test_property_strict_raises_or_writes_one_line_that_parses_back(
    name: str, value: object, tag_arg: object, kind: str, fmt: str
) -> None:
    testing.reset()
    out = io.StringIO()
    lm.configure(stream=out, strict=True, format=fmt)
    write = {"count": lm.count, "gauge": lm.gauge, "histogram": lm.histogram, "check": lm.check}[kind]
    try:
        with freeze_time(FROZEN):
            write(name, value, tags=tag_arg)  # type: ignore[operator]
    except lm.MetricError:
        assert out.getvalue() == ""
        return
    text = out.getvalue()
    assert text.endswith("\n") and text.count("\n") == 1, text  # exactly one line
    with freeze_time(FROZEN):  # the second call takes the fast path (name and tags cached): same line
        write(name, value, tags=tag_arg)  # type: ignore[operator]
    assert out.getvalue() == text * 2
    line = text[:-1]
    assert "\r" not in line
    parsed = lm.parse_line(line)
    assert parsed is not None
    assert parsed.name == name
    assert parsed.value == value and type(parsed.value) is type(value)
    assert parsed.type == (kind if fmt == "monitoring" else "distribution")
    if fmt == "monitoring":
        assert len(line.split("|")) == 6
    expected_tags: tuple[str, ...] = ()
    if tag_arg is not None:
        items = (
            [k if v is None else f"{k}:{v}" for k, v in tag_arg.items()]  # type: ignore[attr-defined]
            if isinstance(tag_arg, dict) else list(tag_arg)  # type: ignore[call-overload]
        )
        expected_tags = tuple(_datadog_normalize(t) for t in items)
    assert parsed.tags == expected_tags
    for tag in parsed.tags:
        assert set(tag) <= set(string.ascii_lowercase + string.digits + "_-:./")
        assert 0 < len(tag) <= 200 and not tag.endswith(":")


def _datadog_normalize(tag: str) -> str:
    """The rule, written independently of the library: lowercase, map outside chars to _, cut, strip ':'."""
    allowed = set(string.ascii_lowercase + string.digits + "_-:./")
    lowered = tag.lower()
    return "".join(c if c in allowed else "_" for c in lowered)[:200].rstrip(":")

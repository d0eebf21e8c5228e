"""Datadog's rules for names, tags and values; strict raises, lenient drops with a warning and a count."""

from __future__ import annotations

import io

import pytest

import lambda_metrics as lm
from lambda_metrics import testing

BAD_INPUTS = [
    # (call, field, rule fragment)
    (lambda: lm.count("1abc", 1), "name", "starts with an ASCII letter"),
    (lambda: lm.count("", 1), "name", "starts with an ASCII letter"),
    (lambda: lm.count("a" * 201, 1), "name", "at most 200"),
    (lambda: lm.count("image processed", 1), "name", "letters, digits"),
    (lambda: lm.count("image|processed", 1), "name", "letters, digits"),
    (lambda: lm.count("imäge", 1), "name", "letters, digits"),
    (lambda: lm.count(None, 1), "name", "starts with an ASCII letter"),  # type: ignore[arg-type]
    (lambda: lm.count("a", True), "value", "not a bool"),
    (lambda: lm.count("a", float("nan")), "value", "finite"),
    (lambda: lm.count("a", float("inf")), "value", "finite"),
    (lambda: lm.count("a", "3"), "value", "finite int or float"),  # type: ignore[arg-type]
    (lambda: lm.count("a", None), "value", "finite int or float"),  # type: ignore[arg-type]
    (lambda: lm.gauge("a"), "value", "finite int or float"),  # type: ignore[call-arg]
    (lambda: lm.check("a", 4), "value", "check status"),
    (lambda: lm.check("a", -1), "value", "check status"),
    (lambda: lm.count("a", 1, tags="format:png"), "tags", "not a string"),
    (lambda: lm.count("a", 1, tags=[3]), "tag", "a tag is a string"),
    (lambda: lm.count("a", 1, tags=[":png"]), "tag", "needs a key"),
    (lambda: lm.count("a", 1, tags=[""]), "tag", "needs a key"),
    (lambda: lm.count("a", 1, tags=42), "tags", "list of"),  # type: ignore[arg-type]
    (lambda: lm.Counter("c").inc(-1), "value", "only goes up"),
    (lambda: lm.Counter("c", tags=("format",)).inc(size="l"), "tag key", "not declared"),
    (lambda: lm.Histogram("h").observe(float("-inf")), "value", "finite"),
    (lambda: lm.Gauge("g").set(True), "value", "not a bool"),
    (lambda: lm.Check("k").report(7), "value", "check status"),
]


@pytest.mark.parametrize(("call", "field", "rule"), BAD_INPUTS)
def test_strict_raises_metric_error_naming_field_value_and_rule(call, field, rule) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    lm.configure(stream=out, strict=True)
    with pytest.raises(lm.MetricError, match=rule) as info:
        call()
    assert info.value.field == field
    assert isinstance(info.value, ValueError)
    assert out.getvalue() == ""


@pytest.mark.parametrize(("call", "field", "rule"), BAD_INPUTS)
def test_lenient_drops_warns_once_and_counts(call, field, rule, capsys) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    lm.configure(stream=out, strict=False)
    call()
    call()
    assert out.getvalue() == ""
    err = capsys.readouterr().err
    assert err.count("lambda_metrics: dropped a metric") == 1
    assert rule in err
    assert lm.dropped() == 2
    lm.flush()  # the drops are reported as a metric of their own
    assert out.getvalue().splitlines()[-1].split("|")[2:5] == ["2", "count", "lambda_metrics.dropped"]


def test_strict_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDA_METRICS_STRICT", "1")
    testing.reset()
    with pytest.raises(lm.MetricError):
        lm.count("bad name", 1)


def test_declaration_errors_raise_even_when_lenient() -> None:
    lm.configure(strict=False)
    with pytest.raises(lm.MetricError, match="name"):
        lm.Counter("9lives")
    with pytest.raises(lm.MetricError, match="declared tag key"):
        lm.Counter("ok", tags=("Format",))
    with pytest.raises(lm.MetricError, match="declared twice"):
        lm.Counter("ok", tags=("a", "a"))
    with pytest.raises(lm.MetricError, match="tuple of strings"):
        lm.Counter("ok", tags="format")  # type: ignore[arg-type]
    with pytest.raises(lm.MetricError, match="known units"):
        lm.Histogram("ok", unit="furlong")


@pytest.mark.parametrize(
    ("tag", "stored"),
    [
        ("Format:PNG", "format:png"),
        ("path:/a/b.c-d_e", "path:/a/b.c-d_e"),
        ("k:v|x", "k:v_x"),
        ("k:v,other:1", "k:v_other:1"),
        ("k:v#x", "k:v_x"),
        ("k:line\nMONITORING|1|1|count|evil|#", "k:line_monitoring_1_1_count_evil__"),
        ("k:a\rb", "k:a_b"),
        ('k:"quoted"', "k:_quoted_"),
        ("k:ünïcode", "k:_n_code"),
        ("trailing:", "trailing"),
        ("a" * 250, "a" * 200),
        ("k:" + "b" * 197 + ":", "k:" + "b" * 197),
        ("k: spaced value ", "k:_spaced_value_"),
    ],
)
def test_tags_are_normalized_like_datadog_stores_them(tag: str, stored: str) -> None:
    with testing.capture() as metrics:
        lm.count("a", 1, tags=[tag])
    assert metrics[0].tags == (stored,)
    assert len(metrics.lines) == 1


def test_dict_tags_and_bare_tags() -> None:
    with testing.capture() as metrics:
        lm.count("a", 1, tags={"format": "PNG", "retry": 2, "flag": None, "ok": True})
        lm.count("a", 1, tags=["bare", "k:v"])
    assert metrics[0].tags == ("format:png", "retry:2", "flag", "ok:true")
    assert metrics[1].tags == ("bare", "k:v")


def test_cache_does_not_confuse_equal_values_of_other_types() -> None:
    with testing.capture() as metrics:
        lm.count("a", 1, tags={"v": 1})
        lm.count("a", 1, tags={"v": True})
        lm.count("a", 1, tags={"v": 1.0})
        counter = lm.Counter("c", tags=("v",))
        counter.inc(v=1)
        counter.inc(v=True)
    assert [m.tags for m in metrics] == [("v:1",), ("v:true",), ("v:1.0",), ("v:1",), ("v:true",)]


def test_numeric_values_of_other_types_are_converted() -> None:
    from decimal import Decimal
    from fractions import Fraction

    class Index:
        def __index__(self) -> int:
            return 7

    with testing.capture() as metrics:
        lm.gauge("a", Decimal("2.5"))
        lm.gauge("a", Fraction(1, 4))
        lm.gauge("a", Index())  # type: ignore[arg-type]
    assert [m.value for m in metrics] == [2.5, 0.25, 7]


def test_warnings_are_bounded(capsys: pytest.CaptureFixture[str]) -> None:
    lm.configure(stream=io.StringIO(), strict=False)
    for i in range(500):
        lm.count(f"{i}bad", 1)  # each a distinct problem (different metric)
    err = capsys.readouterr().err
    assert 0 < err.count("\n") <= 50
    assert lm.dropped() == 500


def test_a_broken_stream_never_raises_when_lenient(capsys: pytest.CaptureFixture[str]) -> None:
    class Broken:
        def write(self, text: str) -> int:
            raise OSError("pipe closed")

    lm.configure(stream=Broken(), strict=False)
    lm.count("a", 1)
    lm.Counter("c").inc()
    lm.Histogram("h").observe(1.5)
    assert lm.dropped() == 3
    assert "could not write 1 metric line(s)" in capsys.readouterr().err
    lm.configure(strict=True)
    with pytest.raises(OSError, match="pipe closed"):
        lm.count("a", 1)


def test_an_internal_failure_after_validation_is_counted_not_raised(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from lambda_metrics._state import STATE

    def broken_encode(metrics: object) -> str:
        raise RuntimeError("encoder bug")

    lm.configure(stream=io.StringIO(), strict=False, format="monitoring,datadog-json")  # the full path
    monkeypatch.setattr(STATE, "encode", broken_encode)
    lm.count("a", 1)
    assert lm.dropped() == 1
    assert "internal error, metric dropped: RuntimeError('encoder bug')" in capsys.readouterr().err
    lm.configure(strict=True)
    with pytest.raises(RuntimeError, match="encoder bug"):
        lm.count("a", 1)

"""The exact lines each format writes, under a frozen clock."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from freezegun import freeze_time

import lambda_metrics as lm
from lambda_metrics import testing

NOW = 1_700_000_000  # 2023-11-14T22:13:20Z
FROZEN = datetime.fromtimestamp(NOW, tz=timezone.utc)


@pytest.fixture
def out() -> io.StringIO:
    stream = io.StringIO()
    lm.configure(stream=stream, strict=True)
    return stream


@freeze_time(FROZEN)
def test_each_type_writes_one_exact_line(out: io.StringIO) -> None:
    lm.count("image.processed", 1, tags=["format:png"])
    lm.gauge("queue.depth", 12.5, tags={"queue": "resize"})
    lm.histogram("image.resize_ms", 41.7)
    lm.check("image.pipeline", lm.WARNING)
    assert out.getvalue().splitlines() == [
        f"MONITORING|{NOW}|1|count|image.processed|#format:png",
        f"MONITORING|{NOW}|12.5|gauge|queue.depth|#queue:resize",
        f"MONITORING|{NOW}|41.7|histogram|image.resize_ms|#",
        f"MONITORING|{NOW}|1|check|image.pipeline|#",
    ]


@freeze_time(FROZEN)
def test_values_ints_as_ints_floats_shortest_round_trip(out: io.StringIO) -> None:
    for value in (0, -3, 10**15, 0.1, 1e-7, 2.5e20, 5.0, 1 / 3):
        lm.gauge("g", value)
    values = [line.split("|")[2] for line in out.getvalue().splitlines()]
    assert values == ["0", "-3", "1000000000000000", "0.1", "1e-07", "2.5e+20", "5.0", repr(1 / 3)]
    assert [float(v) for v in values[3:]] == [0.1, 1e-7, 2.5e20, 5.0, 1 / 3]


@freeze_time(FROZEN)
def test_default_tags_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DD_ENV", "Prod")
    monkeypatch.setenv("DD_SERVICE", "screen-resize")
    monkeypatch.setenv("DD_VERSION", "1.2.3")
    monkeypatch.setenv("DD_TAGS", "team:imaging, region:eu-west-1 tier:gold")
    testing.reset()
    out = io.StringIO()
    lm.configure(stream=out)
    lm.count("image.processed", 2, tags=["format:png", "env:staging"])
    assert out.getvalue() == (
        f"MONITORING|{NOW}|2|count|image.processed|#format:png,env:staging,service:screen-resize,"
        "version:1.2.3,team:imaging,region:eu-west-1,tier:gold\n"
    )


@freeze_time(FROZEN)
def test_configure_default_tags_overrides_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DD_ENV", "prod")
    testing.reset()
    out = io.StringIO()
    lm.configure(stream=out, default_tags={"team": "imaging"})
    counter = lm.Counter("screen_resize.images")
    counter.inc()
    lm.count("plain", 1)
    assert out.getvalue().splitlines() == [
        f"MONITORING|{NOW}|1|count|screen_resize.images|#team:imaging",
        f"MONITORING|{NOW}|1|count|plain|#team:imaging",
    ]


@freeze_time(FROZEN)
def test_datadog_json_format_is_the_forwarder_line(out: io.StringIO) -> None:
    lm.configure(format="datadog-json")
    lm.count("image.processed", 3, tags=["format:png", "size:large"])
    lm.histogram("image.resize_ms", 41.7)
    counter = lm.Counter("screen_resize.images", tags=("format",))
    counter.inc(format="jpeg")
    lines = out.getvalue().splitlines()
    assert lines[0] == f'{{"m":"image.processed","v":3,"e":{NOW},"t":["format:png","size:large"]}}'
    assert [json.loads(line) for line in lines] == [
        {"m": "image.processed", "v": 3, "e": NOW, "t": ["format:png", "size:large"]},
        {"m": "image.resize_ms", "v": 41.7, "e": NOW, "t": []},
        {"m": "screen_resize.images", "v": 1, "e": NOW, "t": ["format:jpeg"]},
    ]


@pytest.mark.parametrize("fmt", ["monitoring", "datadog-json"])
def test_every_fast_path_follows_the_clock_at_every_call(out: io.StringIO, fmt: str) -> None:
    """The fast paths format each whole second once and reuse it: they must still follow a clock that
    moves forward, crosses a second exactly, and goes back (second calls take the fast paths)."""
    lm.configure(format=fmt)
    counter = lm.Counter("c.plain")
    tagged = lm.Counter("c.tagged", tags=("format",))
    hist = lm.Histogram("h.plain")

    def every_path() -> None:
        lm.count("m.count", 1, tags=["format:png"])
        lm.gauge("m.gauge", 2)
        counter.inc()
        tagged.inc(format="png")
        hist.observe(1.5)

    def stamps() -> list[int]:
        lines = out.getvalue().splitlines()
        out.seek(0)
        out.truncate()
        return [lm.parse_line(line).timestamp for line in lines]  # type: ignore[union-attr]

    with freeze_time(datetime.fromtimestamp(NOW + 0.7, tz=timezone.utc)) as clock:
        every_path()  # first calls: the full path fills the caches
        every_path()
        assert stamps() == [NOW] * 10
        clock.tick(0.299)  # NOW + 0.999
        every_path()
        assert stamps() == [NOW] * 5
        clock.tick(0.001)  # exactly NOW + 1
        every_path()
        assert stamps() == [NOW + 1] * 5
        clock.move_to(datetime.fromtimestamp(NOW - 3600 + 0.5, tz=timezone.utc))  # back an hour
        every_path()
        assert stamps() == [NOW - 3600] * 5
        clock.move_to(datetime.fromtimestamp(NOW + 0.999, tz=timezone.utc))
        every_path()
        assert stamps() == [NOW] * 5


def test_format_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDA_METRICS_FORMAT", "datadog-json")
    testing.reset()
    out = io.StringIO()
    lm.configure(stream=out)
    lm.count("a", 1)
    assert out.getvalue().startswith('{"m":"a","v":1,')


@freeze_time(FROZEN)
def test_two_formats_at_once(out: io.StringIO) -> None:
    lm.configure(format="monitoring,datadog-json")
    lm.count("a", 1, tags=["k:v"])
    assert out.getvalue().splitlines() == [
        f"MONITORING|{NOW}|1|count|a|#k:v",
        f'{{"m":"a","v":1,"e":{NOW},"t":["k:v"]}}',
    ]


def test_unknown_format_is_refused_with_the_allowed_ones() -> None:
    with pytest.raises(lm.MetricError, match="monitoring, datadog-json, emf"):
        lm.configure(format="statsd")


def test_unknown_format_in_environment_warns_and_falls_back(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LAMBDA_METRICS_FORMAT", "statsd")
    testing.reset()
    out = io.StringIO()
    lm.configure(stream=out)
    lm.count("a", 1)
    assert out.getvalue().startswith("MONITORING|")
    assert "unknown metric format 'statsd'" in capsys.readouterr().err


@freeze_time(FROZEN)
def test_explicit_timestamps(out: io.StringIO) -> None:
    lm.count("a", 1, timestamp=NOW - 60)
    lm.count("a", 1, timestamp=float(NOW - 30) + 0.9)
    lm.count("a", 1, timestamp=FROZEN - timedelta(minutes=5))
    assert [line.split("|")[1] for line in out.getvalue().splitlines()] == [
        str(NOW - 60), str(NOW - 30), str(NOW - 300)
    ]


@freeze_time(FROZEN)
@pytest.mark.parametrize(
    ("timestamp", "rule"),
    [
        (NOW * 1000, "milliseconds"),
        (NOW - 3601, "1 hour in the past"),
        (NOW + 601, "10 minutes in the future"),
        (datetime(2023, 11, 14, 22, 0), "timezone-aware"),
        ("1700000000", "epoch seconds or an aware datetime"),
        (True, "epoch seconds or an aware datetime"),
        (float("nan"), "finite"),
    ],
)
def test_bad_timestamps(out: io.StringIO, timestamp: object, rule: str) -> None:
    with pytest.raises(lm.MetricError, match=rule) as info:
        lm.count("a", 1, timestamp=timestamp)
    assert info.value.field == "timestamp"
    assert out.getvalue() == ""


def test_timed_writes_elapsed_milliseconds(out: io.StringIO) -> None:
    ticks = iter([10.0, 10.0425])
    import lambda_metrics._declared as declared

    real = declared.perf_counter
    declared.perf_counter = lambda: next(ticks)
    try:
        with lm.timed("image.resize_ms", tags=["size:large"]):
            pass
    finally:
        declared.perf_counter = real
    metric = lm.parse_line(out.getvalue())
    assert metric is not None
    assert metric.type == "histogram" and metric.tags == ("size:large",)
    assert metric.value == pytest.approx(42.5)


def test_timed_as_decorator_keeps_result_and_exception(out: io.StringIO) -> None:
    @lm.timed("work_ms")
    def work(x: int) -> int:
        if x < 0:
            raise KeyError(x)
        return x * 2

    assert work(4) == 8
    with pytest.raises(KeyError):
        work(-1)
    assert [line.split("|")[4] for line in out.getvalue().splitlines()] == ["work_ms", "work_ms"]


def test_disabled_writes_nothing(out: io.StringIO, monkeypatch: pytest.MonkeyPatch) -> None:
    lm.configure(enabled=False)
    lm.count("a", 1)
    lm.Counter("b").inc()
    lm.flush()
    assert out.getvalue() == ""
    monkeypatch.setenv("LAMBDA_METRICS_ENABLED", "0")
    testing.reset()
    lm.configure(stream=out)
    lm.count("a", 1)
    assert out.getvalue() == ""


def test_bad_default_tags_raise_from_configure_and_are_skipped_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(lm.MetricError, match="needs a key"):
        lm.configure(default_tags=["team:imaging", ":oops"])
    monkeypatch.setenv("DD_TAGS", "team:imaging,:oops")
    monkeypatch.setenv("DD_ENV", "prod")
    testing.reset()
    out = io.StringIO()
    lm.configure(stream=out)
    lm.count("a", 1)
    assert out.getvalue().endswith("|count|a|#env:prod,team:imaging\n")
    assert "default tag from the environment ignored: tag ':oops'" in capsys.readouterr().err

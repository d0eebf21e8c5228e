"""The one writer: whole lines from many threads, buffered aggregation, flush."""

from __future__ import annotations

import io
import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest
from freezegun import freeze_time

import lambda_metrics as lm
from lambda_metrics import testing

NOW = 1_700_000_000
FROZEN = datetime.fromtimestamp(NOW, tz=timezone.utc)


class SlowPythonStream:
    """A Python-level stream that would split lines if two writes overlapped."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        half = len(text) // 2
        self.parts.append(text[:half])
        os.sched_yield()
        self.parts.append(text[half:])
        return len(text)


class RecordingStream:
    """Keeps each ``write`` call's text: how many writes, and what each one held."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return len(text)


def _hammer(threads: int, per_thread: int) -> None:
    counter = lm.Counter("t.declared", tags=("thread",))
    start = threading.Barrier(threads)

    def work(n: int) -> None:
        start.wait()
        for i in range(per_thread):
            if i % 2:
                counter.inc(i, thread=str(n))
            else:
                lm.count("t.plain", i, tags=[f"thread:{n}"])

    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()


def _check_lines(text: str, threads: int, per_thread: int) -> None:
    lines = text.splitlines()
    assert len(lines) == threads * per_thread
    seen: dict[str, list[int]] = {}
    for line in lines:
        metric = lm.parse_line(line)
        assert metric is not None
        seen.setdefault(metric.tags[0], []).append(int(metric.value))
    assert sorted(seen) == sorted(f"thread:{n}" for n in range(threads))
    for values in seen.values():
        assert values == list(range(per_thread))  # per thread: in order, none lost


@pytest.mark.parametrize("kind", ["file", "stringio", "python-stream"])
def test_8_threads_x_10000_metrics_give_80000_intact_lines(kind: str, tmp_path: Path) -> None:
    if kind == "file":
        handle = open(tmp_path / "out.log", "w")  # noqa: SIM115 - a real TextIOWrapper, like stdout
        lm.configure(stream=handle)
        _hammer(8, 10_000)
        handle.close()
        text = (tmp_path / "out.log").read_text()
    elif kind == "stringio":
        buf = io.StringIO()
        lm.configure(stream=buf)
        _hammer(8, 10_000)
        text = buf.getvalue()
    else:
        stream = SlowPythonStream()
        lm.configure(stream=stream)
        _hammer(8, 10_000)
        text = "".join(stream.parts)
    _check_lines(text, 8, 10_000)


@freeze_time(FROZEN)
def test_buffered_sums_counts_with_same_name_tags_second() -> None:
    out = io.StringIO()
    lm.configure(stream=out, buffered=True)
    images = lm.Counter("images", tags=("format",))
    for _ in range(3):
        images.inc(format="png")
    images.inc(2, format="jpeg")
    lm.count("images", 4, tags=["format:png"])
    lm.gauge("depth", 1)
    lm.gauge("depth", 2)
    lm.histogram("ms", 5.5)
    assert out.getvalue() == ""
    lm.flush()
    assert out.getvalue().splitlines() == [
        f"MONITORING|{NOW}|7|count|images|#format:png",
        f"MONITORING|{NOW}|2|count|images|#format:jpeg",
        f"MONITORING|{NOW}|1|gauge|depth|#",
        f"MONITORING|{NOW}|2|gauge|depth|#",
        f"MONITORING|{NOW}|5.5|histogram|ms|#",
    ]
    lm.flush()
    assert len(out.getvalue().splitlines()) == 5


def _buffered_calls() -> None:
    images = lm.Counter("images", tags=("format",))
    for _ in range(2):  # the second round takes the cached paths
        images.tagged(format="png").inc()
        lm.gauge("depth", 3, tags={"queue": "resize"})
        images.inc(2, format="png")
        lm.Histogram("resize_ms", tags=("format",)).observe(41.7, format="png")
        lm.count("images", 4, tags=["format:png"])
        lm.count("images", 1, tags=["format:jpeg"])
        lm.Check("pipeline").warning()
        lm.count("images", 10, tags=["format:png"], timestamp=NOW - 60)  # an explicit time


#: What the calls above write in buffered mode: counts summed per name, tags and second, each line
#: where its first call was; metrics with an explicit timestamp after the others.
BUFFERED = [
    (NOW, 14, "count", "images", "format:png"),
    (NOW, 3, "gauge", "depth", "queue:resize"),
    (NOW, 41.7, "histogram", "resize_ms", "format:png"),
    (NOW, 2, "count", "images", "format:jpeg"),
    (NOW, 1, "check", "pipeline", ""),
    (NOW, 3, "gauge", "depth", "queue:resize"),
    (NOW, 41.7, "histogram", "resize_ms", "format:png"),
    (NOW, 1, "check", "pipeline", ""),
    (NOW - 60, 20, "count", "images", "format:png"),
]


@freeze_time(FROZEN)
def test_buffered_monitoring_sums_counts_in_the_order_of_first_calls() -> None:
    out = io.StringIO()
    lm.configure(stream=out, buffered=True, strict=True)
    _buffered_calls()
    assert out.getvalue() == ""
    lm.flush()
    assert out.getvalue().splitlines() == [f"MONITORING|{ts}|{v}|{t}|{n}|#{tags}" for ts, v, t, n, tags in BUFFERED]


@freeze_time(FROZEN)
def test_buffered_forwarder_json_sums_counts_in_the_order_of_first_calls() -> None:
    out = io.StringIO()
    lm.configure(stream=out, buffered=True, strict=True, format="datadog-json")
    _buffered_calls()
    lm.flush()
    assert [json.loads(line) for line in out.getvalue().splitlines()] == [
        {"m": n, "v": v, "e": ts, "t": [tags] if tags else []} for ts, v, _t, n, tags in BUFFERED]


@freeze_time(FROZEN)
def test_buffered_with_two_formats_holds_metrics_and_writes_each_format() -> None:
    out = io.StringIO()
    lm.configure(stream=out, buffered=True, strict=True, format="monitoring,datadog-json")
    _buffered_calls()
    lm.flush()
    lines = out.getvalue().splitlines()
    monitoring = [line for line in lines if line.startswith("MONITORING|")]
    # Metric objects keep one entry per name, tags and second, in the order of first calls.
    assert sorted(monitoring) == sorted(f"MONITORING|{ts}|{v}|{t}|{n}|#{tags}" for ts, v, t, n, tags in BUFFERED)
    assert len(lines) == 2 * len(BUFFERED)


def test_buffered_keeps_seconds_apart() -> None:
    out = io.StringIO()
    lm.configure(stream=out, buffered=True)
    with freeze_time(FROZEN) as clock:
        lm.count("c", 1)
        lm.count("c", 1)
        clock.tick(1)
        lm.count("c", 1)
    lm.flush()
    assert [line.split("|")[1:3] for line in out.getvalue().splitlines()] == [
        [str(NOW), "2"], [str(NOW + 1), "1"]]


def test_buffered_from_environment_and_one_write_per_flush(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDA_METRICS_BUFFERED", "true")
    testing.reset()

    stream = RecordingStream()
    lm.configure(stream=stream)
    for i in range(10):
        lm.gauge("g", i)
    lm.flush()
    assert len(stream.writes) == 1
    assert stream.writes[0].count("\n") == 10


def test_buffered_threads_lose_nothing() -> None:
    out = io.StringIO()
    lm.configure(stream=out, buffered=True)
    counter = lm.Counter("c")

    def work() -> None:
        for _ in range(5000):
            counter.inc()

    pool = [threading.Thread(target=work) for _ in range(8)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    lm.flush()
    total = sum(m.value for m in map(lm.parse_line, out.getvalue().splitlines()) if m is not None)
    assert total == 40_000


def test_turning_buffering_off_flushes_what_was_held() -> None:
    out = io.StringIO()
    lm.configure(stream=out, buffered=True)
    lm.count("c", 1)
    lm.configure(buffered=False)
    assert out.getvalue().count("\n") == 1


def test_default_stream_is_stdout_at_write_time(capsys: pytest.CaptureFixture[str]) -> None:
    lm.count("to.stdout", 1)
    lm.Counter("declared.stdout").inc()
    out = capsys.readouterr().out.splitlines()
    assert [line.split("|")[4] for line in out] == ["to.stdout", "declared.stdout"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")  # on purpose
def test_a_child_forked_while_another_thread_writes_can_still_write() -> None:
    """The thread that holds the writer's lock at fork time does not exist in the child: without the
    at-fork hook, the child's first metric would wait forever."""
    entered, leave = threading.Event(), threading.Event()

    class Blocking:
        def write(self, text: str) -> int:
            entered.set()
            leave.wait(10)
            return len(text)

    lm.configure(stream=Blocking())
    holder = threading.Thread(target=lm.count, args=("t.held", 1))
    holder.start()
    try:
        assert entered.wait(5), "the holder thread never reached write()"
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: write one metric, then leave without running the parent's cleanup
            try:
                os.close(read_end)
                with os.fdopen(write_end, "w") as out:
                    lm.configure(stream=out)
                    lm.count("t.child", 1)
            finally:
                os._exit(0)
        os.close(write_end)
        import select

        ready, _, _ = select.select([read_end], [], [], 10)
        text = os.read(read_end, 4096).decode() if ready else ""
        os.close(read_end)
        if not ready:
            os.kill(pid, 9)
        os.waitpid(pid, 0)
    finally:
        leave.set()
        holder.join()
    assert text.startswith("MONITORING|") and "|count|t.child|#" in text


@pytest.mark.parametrize("fmt", ["monitoring", "emf"])
def test_buffered_mode_writes_on_its_own_past_10000_held_metrics(fmt: str) -> None:
    """A handler that never flushes does not grow the buffer without end (both kinds of buffer)."""
    stream = RecordingStream()
    writes = stream.writes
    lm.configure(stream=stream, buffered=True, format=fmt)
    for i in range(10_000 - 1):
        lm.gauge("g", i)
    assert writes == []
    lm.gauge("g", 1)
    lm.count("c", 1)  # a count goes to the next batch
    assert len(writes) == 1
    lm.flush()
    assert len(writes) == 2
    if fmt == "monitoring":
        assert writes[0].count("\n") == 10_000 and writes[1] == writes[1].splitlines()[0] + "\n"

"""Cost of writing a metric with lambda_metrics, next to a raw f-string write and to the anchors.

``python bench/emit.py`` prints one Markdown report: per-metric cost, import time, and the
per-invocation overhead of the handler decorators, with the targets of design.md and a PASS/FAIL
column. ``--json`` prints the raw numbers instead, ``--quick`` takes fewer rounds (a smoke test).
A benchmark never fails a build: the exit status is 0 whatever the verdicts.

Every candidate runs in a child process of this script (``--worker NAME``): lambda_metrics alone in
one, each anchor (datadog_lambda, AWS Lambda Powertools) in its own, so that an anchor's import
side effects (datadog_lambda patches http.client, imports ddtrace...) cannot touch the other
numbers. Inside a child the candidates are timed round-robin and every one is first run against a
StringIO to check that it really writes the expected lines.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    REPO,
    Candidate,
    clean_env,
    compile_sources,
    fmt_ns,
    fmt_us,
    markdown_table,
    report,
    round_robin,
    run_worker,
    summary,
    verdict,
)

SCRIPT = Path(__file__).resolve()

#: What every child gets (lambda_metrics ignores all of it). It keeps datadog_lambda on stdout and
#: off the network: Forwarder mode (no API client, no thread), no tracing (no ddtrace agent writer),
#: no X-Ray, no log injection, no telemetry or remote configuration. DD_API_KEY is not set.
ANCHOR_ENV = {
    "DD_FLUSH_TO_LOG": "true",
    "DD_TRACE_ENABLED": "false",
    "DD_MERGE_XRAY_TRACES": "false",
    "DD_COLD_START_TRACING": "false",
    "DD_LOGS_INJECTION": "false",
    "DD_INSTRUMENTATION_TELEMETRY_ENABLED": "false",
    "DD_REMOTE_CONFIGURATION_ENABLED": "false",
}

TAGS3 = ["format:png", "size:large", "bucket:in"]
PT_BATCH = 10  # Powertools Datadog: metrics added per flush_metrics() in the "batch" row
LAMBDA_BATCH = 10  # metrics written per lm.flush() in the Lambda-stdout rows

# Targets (design.md, performance budget).
IMPORT_BUDGET_US = 5000.0
DECLARED_MAX_RATIO = 1.5
COUNT3_MAX_RATIO = 3.0
COUNT3_MIN_SPEEDUP = 3.0
INSTRUMENT_BUDGET_US = 10.0

#: (rounds, seconds per timed sample) of the round-robin timing.
ROUNDS_FULL = (200, 0.008)
ROUNDS_QUICK = (12, 0.002)

TS = re.compile(r"\|\d{10}\||\"e\":\d{10}")


def _normalize(line: str) -> str:
    """A written line with its timestamp replaced, to compare lines written at different seconds."""
    return TS.sub(lambda m: "|<ts>|" if m.group(0).startswith("|") else '"e":<ts>', line)


# ----------------------------------------------------------------------------------------------
# Worker side: candidates, checks, timing. Runs in a child process.
# ----------------------------------------------------------------------------------------------

LineCheck = Callable[[list[str], int], "str | None"]


@dataclass
class Spec:
    """A candidate plus how to check it: ``per_exec`` lines per execution, ``check`` on the lines."""

    cand: Candidate
    per_exec: int
    check: LineCheck | None = None
    warmup: int = 0  # executions before the check (e.g. the cold-start invocation)


class FlushEveryWrite:
    """Stdout as the Lambda Python runtime sets it up: every ``write`` is followed by a ``flush``, so
    each write reaches the file descriptor at once (awslambdaric wraps ``sys.stdout`` this way)."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        n = self.stream.write(text)
        self.stream.flush()
        return int(n)

    def flush(self) -> None:
        self.stream.flush()


class Redirect:
    """Points every writer of the child (raw floors, print(), lambda_metrics) at one stream."""

    def __init__(self) -> None:
        self.devnull = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
        self.namespaces: list[dict[str, Any]] = []
        self.lm: Any = None
        self.flush_every_write = False

    def set(self, stream: Any) -> None:
        if self.flush_every_write and stream is not sys.__stdout__:
            stream = FlushEveryWrite(stream)
        sys.stdout = stream
        for ns in self.namespaces:
            ns["out"] = stream
        if self.lm is not None:
            self.lm.configure(stream=stream)

    def null(self) -> None:
        self.set(self.devnull)


def _same_as(expected: str) -> LineCheck:
    def check(lines: list[str], k: int) -> str | None:
        bad = [ln for ln in lines if _normalize(ln) != expected]
        return f"unexpected line {bad[0]!r}, expected {expected!r}" if bad else None

    return check


def _json_metric(name: str, tags: Sequence[str]) -> LineCheck:
    def check(lines: list[str], k: int) -> str | None:
        for line in lines:
            try:
                doc = json.loads(line)
            except ValueError:
                return f"not JSON: {line!r}"
            if doc.get("m") != name or doc.get("v") != 1 or not set(tags) <= set(doc.get("t", ())):
                return f"unexpected metric {line!r}"
        return None

    return check


def _names(expected: Sequence[str]) -> LineCheck:
    """Each invocation writes lines whose metric names (MONITORING, Forwarder JSON or EMF) are ``expected``."""

    def names_of(line: str) -> list[str]:
        if line.startswith("MONITORING|"):
            return [line.split("|")[4]]
        doc = json.loads(line)
        if "_aws" in doc:
            return [m["Name"] for d in doc["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]]
        return [doc["m"]]

    def check(lines: list[str], k: int) -> str | None:
        try:
            got = sorted(n for line in lines for n in names_of(line))
        except (ValueError, KeyError, IndexError) as err:
            return f"unreadable line ({err!r}): {lines[:3]!r}"
        want = sorted(list(expected) * k)
        return None if got == want else f"metric names {got[:6]!r}... expected {sorted(expected)!r} x {k}"

    return check


def _lm_setup(redirect: Redirect) -> Any:
    import lambda_metrics as lm

    redirect.lm = lm
    return lm


def _floor_specs(redirect: Redirect, which: Sequence[str]) -> list[Spec]:
    # The floor formats what a caller has to format on every call, the timestamp and the value (``n``,
    # ``v``), and nothing else: name and tags are constants, as they are for a declared metric.
    ns: dict[str, Any] = {"time": time, "v": 41.7, "n": 1, "out": None}
    redirect.namespaces.append(ns)
    stmts = {
        "raw": ('out.write(f"MONITORING|{int(time.time())}|{n}|count|screen_resize.images|#\\n")',
                "MONITORING|<ts>|1|count|screen_resize.images|#"),
        "raw_tag": ('out.write(f"MONITORING|{int(time.time())}|{n}|count|screen_resize.images|#format:png\\n")',
                    "MONITORING|<ts>|1|count|screen_resize.images|#format:png"),
        "raw_hist": ('out.write(f"MONITORING|{int(time.time())}|{v}|histogram|screen_resize.resize_ms|#\\n")',
                     "MONITORING|<ts>|41.7|histogram|screen_resize.resize_ms|#"),
        "raw_tags3": ('out.write(f"MONITORING|{int(time.time())}|{n}|count|image.processed|#'
                      'format:png,size:large,bucket:in\\n")',
                      "MONITORING|<ts>|1|count|image.processed|#format:png,size:large,bucket:in"),
    }
    return [Spec(Candidate(key, stmts[key][0], ns), 1, _same_as(stmts[key][1])) for key in which]


def _lm_count3_spec(redirect: Redirect, key: str = "lm_count3") -> Spec:
    lm = _lm_setup(redirect)
    ns = {"lm": lm}
    return Spec(
        Candidate(key, 'lm.count("image.processed", 1, tags=["format:png", "size:large", "bucket:in"])', ns),
        1,
        _same_as("MONITORING|<ts>|1|count|image.processed|#format:png,size:large,bucket:in"),
    )


def worker_metric_lm(redirect: Redirect) -> list[Spec]:
    lm = _lm_setup(redirect)
    floors = {s.cand.key: s for s in _floor_specs(redirect, ("raw", "raw_tag", "raw_hist", "raw_tags3"))}
    ns = {
        "c": lm.Counter("screen_resize.images"),
        "ct": lm.Counter("screen_resize.images", tags=("format",)),
        "cb": lm.Counter("screen_resize.images", tags=("format",)).tagged(format="png"),
        "h": lm.Histogram("screen_resize.resize_ms"),
        "v": 41.7,
    }
    return [
        floors["raw"],
        Spec(Candidate("lm_inc", "c.inc()", ns), 1, _same_as("MONITORING|<ts>|1|count|screen_resize.images|#")),
        floors["raw_tag"],
        Spec(Candidate("lm_inc_tag", 'ct.inc(format="png")', ns), 1,
             _same_as("MONITORING|<ts>|1|count|screen_resize.images|#format:png")),
        Spec(Candidate("lm_inc_bound", "cb.inc()", ns), 1,
             _same_as("MONITORING|<ts>|1|count|screen_resize.images|#format:png")),
        floors["raw_hist"],
        Spec(Candidate("lm_observe", "h.observe(v)", ns), 1,
             _same_as("MONITORING|<ts>|41.7|histogram|screen_resize.resize_ms|#")),
        floors["raw_tags3"],
        _lm_count3_spec(redirect),
    ]


def _lambda_stdout_specs(redirect: Redirect, buffered: bool) -> list[Spec]:
    """The same metrics written to a stdout that is flushed after every write, as on Lambda."""
    redirect.flush_every_write = True
    lm = _lm_setup(redirect)
    lm.configure(buffered=buffered)
    floor = _floor_specs(redirect, ("raw",))[0]
    ns = {"lm": lm, "c": lm.Counter("screen_resize.images"), "h": lm.Histogram("screen_resize.resize_ms"),
          "v": 41.7}
    batch = "\n".join(["h.observe(v)"] * LAMBDA_BATCH + ["lm.flush()"])
    hist = _same_as("MONITORING|<ts>|41.7|histogram|screen_resize.resize_ms|#")
    mode = "buffered" if buffered else "immediate"
    specs = [
        Spec(Candidate(f"lm_batch_{mode}", batch, ns, ops=LAMBDA_BATCH), LAMBDA_BATCH, hist),
    ]
    if not buffered:
        specs.insert(0, Spec(Candidate("lm_inc", "c.inc()", ns), 1,
                             _same_as("MONITORING|<ts>|1|count|screen_resize.images|#")))
    return [floor, *specs]


def worker_lambda_immediate(redirect: Redirect) -> list[Spec]:
    return _lambda_stdout_specs(redirect, buffered=False)


def worker_lambda_buffered(redirect: Redirect) -> list[Spec]:
    return _lambda_stdout_specs(redirect, buffered=True)


def worker_metric_dd(redirect: Redirect) -> list[Spec]:
    from datadog_lambda.metric import MetricsHandler, lambda_metric, metrics_handler  # type: ignore[import-untyped]

    if metrics_handler != MetricsHandler.FORWARDER:
        raise RuntimeError(f"datadog_lambda is not in Forwarder (log) mode: {metrics_handler}")
    ns = {"lambda_metric": lambda_metric}
    return [
        *_floor_specs(redirect, ("raw_tags3",)),
        _lm_count3_spec(redirect, "lm_count3_ref"),
        Spec(Candidate("dd_lambda_metric",
                       'lambda_metric("image.processed", 1, tags=["format:png", "size:large", "bucket:in"])', ns),
             1, _json_metric("image.processed", TAGS3)),
    ]


def worker_metric_pt(redirect: Redirect) -> list[Spec]:
    from aws_lambda_powertools.metrics.provider.datadog import DatadogMetrics

    metrics = DatadogMetrics(namespace="image", flush_to_log=True)
    ns = {"m": metrics}
    add = 'm.add_metric(name="processed", value=1, format="png", size="large", bucket="in")'

    def added_not_written(lines: list[str], k: int) -> str | None:
        held = len(metrics.metric_set)
        metrics.clear_metrics()
        return None if held == k else f"{held} metrics held after {k} add_metric calls"

    return [
        *_floor_specs(redirect, ("raw_tags3",)),
        _lm_count3_spec(redirect, "lm_count3_ref"),
        Spec(Candidate("pt_add_metric", add, ns, setup="m.clear_metrics()"), 0, added_not_written),
        Spec(Candidate("pt_batch", "\n".join([add] * PT_BATCH + ["m.flush_metrics()"]), ns, ops=PT_BATCH),
             PT_BATCH, _json_metric("image.processed", TAGS3)),
    ]


def _handlers() -> dict[str, Any]:
    from lambda_metrics.testing import FakeLambdaContext

    class Context(FakeLambdaContext):
        # The real LambdaContext has these two (None outside mobile SDK calls); datadog_lambda reads
        # client_context and would log an error with a traceback on every invocation without it.
        client_context = None
        identity = None

    def bare(event: Any, context: Any) -> int:
        return 1

    return {"event": {}, "ctx": Context(function_name="bench-function"), "bare": bare}


def _instrument_specs(ns: dict[str, Any], lines0: list[str], lines1: list[str]) -> list[Spec]:
    return [
        Spec(Candidate("bare", "bare(event, ctx)", ns), 0, None),
        Spec(Candidate("wrapped_empty", "wrapped_empty(event, ctx)", ns), len(lines0), _names(lines0), warmup=1),
        Spec(Candidate("wrapped_one", "wrapped_one(event, ctx)", ns), len(lines1), _names(lines1), warmup=1),
    ]


def worker_inst_lm(redirect: Redirect) -> list[Spec]:
    lm = _lm_setup(redirect)
    ns = _handlers()

    def one(event: Any, context: Any) -> int:
        lm.count("bench.handled", 1)
        return 1

    ns["wrapped_empty"] = lm.instrument(ns["bare"])
    ns["wrapped_one"] = lm.instrument(one)
    base = ["lambda_metrics.invocations", "lambda_metrics.duration"]
    return _instrument_specs(ns, base, [*base, "bench.handled"])


def worker_inst_pt(redirect: Redirect) -> list[Spec]:
    from aws_lambda_powertools import Metrics
    from aws_lambda_powertools.metrics import MetricUnit

    metrics = Metrics(namespace="bench", service="bench")
    ns = _handlers()

    def one(event: Any, context: Any) -> int:
        metrics.add_metric(name="handled", unit=MetricUnit.Count, value=1)
        return 1

    ns["wrapped_empty"] = metrics.log_metrics(ns["bare"])
    ns["wrapped_one"] = metrics.log_metrics(one)
    return _instrument_specs(ns, [], ["handled"])


def worker_inst_dd(redirect: Redirect) -> list[Spec]:
    from datadog_lambda.metric import lambda_metric
    from datadog_lambda.wrapper import datadog_lambda_wrapper  # type: ignore[import-untyped]

    ns = _handlers()

    def one(event: Any, context: Any) -> int:
        lambda_metric("bench.handled", 1)
        return 1

    ns["wrapped_empty"] = datadog_lambda_wrapper(ns["bare"])
    ns["wrapped_one"] = datadog_lambda_wrapper(one)
    base = ["aws.lambda.enhanced.invocations"]
    return _instrument_specs(ns, base, [*base, "bench.handled"])


WORKERS: dict[str, Callable[[Redirect], list[Spec]]] = {
    "metric-lm": worker_metric_lm,
    "metric-dd": worker_metric_dd,
    "metric-pt": worker_metric_pt,
    "lambda-immediate": worker_lambda_immediate,
    "lambda-buffered": worker_lambda_buffered,
    "inst-lm": worker_inst_lm,
    "inst-pt": worker_inst_pt,
    "inst-dd": worker_inst_dd,
}
#: Audit events that mean a connection, a packet or a name lookup (socket.gethostname is local).
NETWORK_EVENTS = frozenset({
    "socket.connect", "socket.connect_ex", "socket.sendto", "socket.sendmsg", "socket.bind", "socket.getaddrinfo",
    "socket.gethostbyname", "socket.gethostbyaddr", "socket.getnameinfo", "http.client.connect",
    "http.client.send", "urllib.Request",
})
ANCHOR_PREFIXES = ("datadog", "ddtrace", "aws_lambda_powertools", "wrapt", "ujson")


class _LogCounter:
    """Counts warnings and errors logged by the anchors during the check (a swallowed failure would look fast)."""

    def __init__(self) -> None:
        import logging

        self.records: list[str] = []
        counter = self

        class Handler(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                counter.records.append(f"{record.name}: {record.getMessage()[:200]}")

        self.handler = Handler(logging.WARNING)
        logging.getLogger().addHandler(self.handler)

    def close(self) -> None:
        import logging

        logging.getLogger().removeHandler(self.handler)


def run_checks(specs: Sequence[Spec], redirect: Redirect, k: int = 5) -> dict[str, Any]:
    """Run each candidate against a StringIO: it must write ``per_exec`` good lines per execution."""
    results: dict[str, Any] = {}
    logs = _LogCounter()
    for spec in specs:
        cand = spec.cand
        code = compile(cand.stmt, f"<{cand.key}>", "exec")
        exec(compile(cand.setup, "<setup>", "exec"), cand.namespace)
        for _ in range(spec.warmup):
            redirect.set(io.StringIO())
            exec(code, cand.namespace)
        buf = io.StringIO()
        redirect.set(buf)
        logs.records.clear()
        for _ in range(k):
            exec(code, cand.namespace)
        redirect.null()
        lines = buf.getvalue().splitlines()
        problem = None
        if len(lines) != k * spec.per_exec:
            problem = f"wrote {len(lines)} lines in {k} executions, expected {k * spec.per_exec}"
        elif spec.check is not None:
            problem = spec.check(lines, k)
        if logs.records:
            problem = (problem + "; " if problem else "") + f"logged: {logs.records[:3]!r}"
        results[cand.key] = {
            "ok": problem is None,
            "problem": problem,
            "lines_per_exec": len(lines) / k,
            "sample": lines[:2],
        }
    logs.close()
    return results


def worker_main(name: str, quick: bool, audit: bool) -> None:
    net: list[str] = []
    if audit:

        def hook(event: str, args: tuple[Any, ...]) -> None:
            if event.startswith(("socket.", "http.client.", "urllib.")):
                net.append(f"{event} {args!r}"[:300])

        sys.addaudithook(hook)
    redirect = Redirect()
    redirect.null()
    t0 = time.perf_counter()
    specs = WORKERS[name](redirect)
    setup_s = time.perf_counter() - t0
    redirect.null()
    checks = run_checks(specs, redirect)
    result: dict[str, Any] = {"worker": name, "checks": checks, "setup_s": setup_s}
    if name.endswith("-lm"):
        result["anchor_modules"] = sorted(m for m in sys.modules if m.startswith(ANCHOR_PREFIXES))
    if audit:
        import threading

        result["network_events"] = net
        result["threads"] = sorted(t.name for t in threading.enumerate())
    else:
        cands = [s.cand for s in specs]
        rounds, target = ROUNDS_QUICK if quick else ROUNDS_FULL
        round_robin(cands, rounds, target)
        result["timings"] = {c.key: {**summary(c.samples), "number": c.number, "samples": c.samples} for c in cands}
    redirect.set(sys.__stdout__)  # type: ignore[arg-type]
    report(result)


# ----------------------------------------------------------------------------------------------
# Parent side: import times, running the workers, the report.
# ----------------------------------------------------------------------------------------------

IMPORT_MODULES = [
    ("lambda_metrics", "lambda_metrics"),
    ("datadog_lambda.metric", "datadog_lambda.metric"),
    ("aws_lambda_powertools.metrics", "aws_lambda_powertools.metrics (EMF Metrics)"),
    ("aws_lambda_powertools.metrics.provider.datadog", "aws_lambda_powertools...provider.datadog (DatadogMetrics)"),
]
_IMPORT_CODE = (
    "import sys, time\n"
    "sys.stderr.write('@@MARK\\n'); sys.stderr.flush()\n"
    "t = time.perf_counter()\n"
    "import {module}\n"
    "sys.stderr.write(f'@@WALL {{time.perf_counter() - t}}\\n')\n"
)
_THIRD_PARTY_CODE = (
    "import sys, json\n"
    "before = set(sys.modules)\n"
    "import {module}\n"
    "new = sorted(set(sys.modules) - before)\n"
    "own = '{module}'.split('.')[0]\n"
    "third = [m for m in new if m.split('.')[0] not in sys.stdlib_module_names and m.split('.')[0] != own]\n"
    "print(json.dumps({{'new': new, 'third_party': third}}))\n"
)


def import_time_once(module: str, env: dict[str, str]) -> tuple[float, float]:
    """Cumulative µs of the top-level imports done by ``import module`` (-X importtime), and wall µs."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", _IMPORT_CODE.format(module=module)],
        env=env, capture_output=True, text=True, check=True, cwd=str(REPO),
    )
    rows: list[tuple[int, int]] = []  # (indent, cumulative)
    wall = 0.0
    seen_mark = False
    for line in proc.stderr.splitlines():
        if line.startswith("@@MARK"):
            seen_mark = True
        elif line.startswith("@@WALL"):
            wall = float(line.split()[1]) * 1e6
        elif seen_mark and line.startswith("import time:") and "self [us]" not in line:
            _head, cumulative, name = line.split("|", 2)
            rows.append((len(name) - len(name.lstrip()), int(cumulative)))
    if not rows:
        raise RuntimeError(f"no import of {module} recorded:\n{proc.stderr[-2000:]}")
    top = min(indent for indent, _ in rows)
    return float(sum(c for indent, c in rows if indent == top)), wall


def measure_imports(quick: bool, env: dict[str, str]) -> dict[str, Any]:
    runs = 3 if quick else 7
    out: dict[str, Any] = {}
    for module, _label in IMPORT_MODULES:
        import_time_once(module, env)  # warm-up: writes any missing .pyc, warms the page cache
        samples = [import_time_once(module, env) for _ in range(runs)]
        cumul = [s[0] for s in samples]
        walls = [s[1] for s in samples]
        proc = subprocess.run([sys.executable, "-c", _THIRD_PARTY_CODE.format(module=module)], env=env,
                              capture_output=True, text=True, check=True, cwd=str(REPO))
        out[module] = {
            "importtime_us": {"median": statistics.median(cumul), "min": min(cumul), "runs": runs, "samples": cumul},
            "wall_us": {"median": statistics.median(walls), "min": min(walls)},
            "modules": json.loads(proc.stdout.splitlines()[-1]),
        }
    return out


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def build_report(data: dict[str, Any]) -> str:
    w = data["workers"]
    parts: list[str] = []

    def t(worker: str, key: str) -> dict[str, float] | None:
        res = w.get(worker) or {}
        timing: dict[str, float] | None = (res.get("timings") or {}).get(key)
        return timing

    def checked(worker: str, key: str) -> str:
        res = w.get(worker) or {}
        c = (res.get("checks") or {}).get(key)
        if c is None:
            return "ERROR" if "error" in res else "—"
        return f"ok ({c['lines_per_exec']:g}/call)" if c["ok"] else f"CHECK FAILED: {c['problem']}"

    # -- per-metric ----------------------------------------------------------------------------
    rows: list[list[object]] = []

    def metric_row(label: str, worker: str, key: str, floor: str | None, target: str = "—",
                   ok: bool | None = None) -> None:
        m = t(worker, key)
        f = t(worker, floor) if floor else None
        if m is None:
            rows.append([label, "n/a", "n/a", "", "", checked(worker, key), target, verdict(ok)])
            return
        ratio_min = f"{_ratio(m['min'], f['min']):.2f}x" if f else ""
        ratio_med = f"{_ratio(m['median'], f['median']):.2f}x" if f else ""
        rows.append([label, fmt_ns(m["min"]), fmt_ns(m["median"]), ratio_min, ratio_med,
                     checked(worker, key), target, verdict(ok)])

    def ratio_ok(worker: str, key: str, floor: str, limit: float) -> bool | None:
        m, f = t(worker, key), t(worker, floor)
        return None if m is None or f is None else _ratio(m["min"], f["min"]) <= limit

    metric_row("raw f-string write, no tag (floor)", "metric-lm", "raw", "raw")
    metric_row("`Counter.inc()`", "metric-lm", "lm_inc", "raw", f"<= {DECLARED_MAX_RATIO}x raw",
               ratio_ok("metric-lm", "lm_inc", "raw", DECLARED_MAX_RATIO))
    metric_row("raw f-string write, 1 tag (floor)", "metric-lm", "raw_tag", "raw_tag")
    design = f"<= {DECLARED_MAX_RATIO}x raw (design)"
    metric_row('`Counter.inc(format="png")` (declared tag)', "metric-lm", "lm_inc_tag", "raw_tag",
               design, ratio_ok("metric-lm", "lm_inc_tag", "raw_tag", DECLARED_MAX_RATIO))
    metric_row('`Counter.tagged(format="png").inc()` (tag bound once)', "metric-lm", "lm_inc_bound", "raw_tag",
               design, ratio_ok("metric-lm", "lm_inc_bound", "raw_tag", DECLARED_MAX_RATIO))
    metric_row("raw f-string write, float `!r` (floor)", "metric-lm", "raw_hist", "raw_hist")
    metric_row("`Histogram.observe(41.7)`", "metric-lm", "lm_observe", "raw_hist",
               design, ratio_ok("metric-lm", "lm_observe", "raw_hist", DECLARED_MAX_RATIO))
    metric_row("raw f-string write, 3 tags (floor)", "metric-lm", "raw_tags3", "raw_tags3")
    dd, ref = t("metric-dd", "dd_lambda_metric"), t("metric-dd", "lm_count3_ref")
    speedup = _ratio(dd["min"], ref["min"]) if dd and ref else None
    ok3 = ratio_ok("metric-lm", "lm_count3", "raw_tags3", COUNT3_MAX_RATIO)
    if ok3 is not None and speedup is not None:
        ok3 = ok3 and speedup >= COUNT3_MIN_SPEEDUP
    metric_row("`lm.count(..., tags=[3 tags])`", "metric-lm", "lm_count3", "raw_tags3",
               f"<= {COUNT3_MAX_RATIO}x raw and >= {COUNT3_MIN_SPEEDUP}x faster than lambda_metric", ok3)
    metric_row("*datadog_lambda process:* raw 3 tags (floor)", "metric-dd", "raw_tags3", "raw_tags3")
    metric_row("*datadog_lambda process:* `lm.count` 3 tags", "metric-dd", "lm_count3_ref", "raw_tags3")
    metric_row("datadog_lambda `lambda_metric(..., tags=[3 tags])`", "metric-dd", "dd_lambda_metric", "raw_tags3",
               f"lm.count >= {COUNT3_MIN_SPEEDUP}x faster: "
               + (f"{speedup:.1f}x" if speedup is not None else "n/a"),
               None if speedup is None else speedup >= COUNT3_MIN_SPEEDUP)
    metric_row("*Powertools process:* raw 3 tags (floor)", "metric-pt", "raw_tags3", "raw_tags3")
    metric_row("*Powertools process:* `lm.count` 3 tags", "metric-pt", "lm_count3_ref", "raw_tags3")
    metric_row("Powertools `DatadogMetrics.add_metric` alone (writes nothing)", "metric-pt", "pt_add_metric",
               "raw_tags3")
    metric_row(f"Powertools `add_metric` x{PT_BATCH} + `flush_metrics()`, per metric", "metric-pt", "pt_batch",
               "raw_tags3")
    parts.append("### Per-metric cost (ns per metric, all writing to one `open(os.devnull, 'w')`)\n")
    parts.append(markdown_table(
        ["candidate", "min ns", "median ns", "x raw (min)", "x raw (median)", "lines check", "target", "result"],
        rows))
    parts.append(
        "\nRatios are to the raw floor measured in the same process, same round-robin. Rows in *italics* are "
        "the references measured inside an anchor's process; the speed-up target compares `lambda_metric` "
        "with `lm.count` in that same process.")

    # -- Lambda's stdout -----------------------------------------------------------------------
    rows = []
    metric_row("raw f-string write + flush (floor)", "lambda-immediate", "raw", "raw")
    metric_row("`Counter.inc()`", "lambda-immediate", "lm_inc", "raw")
    metric_row(f"`Histogram.observe()` x{LAMBDA_BATCH} + `lm.flush()`, immediate, per metric", "lambda-immediate",
               "lm_batch_immediate", "raw")
    metric_row("*buffered process:* raw f-string write + flush (floor)", "lambda-buffered", "raw", "raw")
    metric_row(f"`Histogram.observe()` x{LAMBDA_BATCH} + `lm.flush()`, `buffered=True`, per metric",
               "lambda-buffered", "lm_batch_buffered", "raw")
    parts.append("\n### On Lambda's stdout (flushed after every write; ns per metric, to `/dev/null`)\n")
    parts.append(markdown_table(
        ["candidate", "min ns", "median ns", "x raw (min)", "x raw (median)", "lines check", "target", "result"],
        rows))
    parts.append(
        "\nThe Lambda Python runtime replaces `sys.stdout` with a wrapper that flushes after every write, so "
        "on Lambda each line written in immediate mode is one write(2) system call (here to `/dev/null`, the "
        "cheapest file there is; a pipe costs more). Buffered mode writes a flush's lines in one call.")

    # -- import --------------------------------------------------------------------------------
    imp = data.get("imports") or {}
    irows: list[list[object]] = []
    for module, label in IMPORT_MODULES:
        r = imp.get(module)
        if r is None:
            irows.append([label, "n/a", "n/a", "n/a", "", "—", "ERROR"])
            continue
        target, ok = "—", None
        mods = r.get("modules", {})
        third_list = mods.get("third_party", [])
        # Real packages first: Cython and sysconfig artefacts (_cython_3_3_0, cython_runtime...) last.
        packages = sorted({m.split(".")[0] for m in third_list}, key=lambda p: (p.startswith(("_", "cython")), p))
        third = (f"{len(third_list)} modules of {len(packages)} packages ({', '.join(packages[:6])}"
                 f"{', ...' if len(packages) > 6 else ''})"
                 if third_list else f"none ({len(mods.get('new', []))} stdlib/own modules)")
        if module == "lambda_metrics":
            target = f"<= {IMPORT_BUDGET_US / 1000:g} ms, no third-party module"
            ok = r["importtime_us"]["median"] <= IMPORT_BUDGET_US and not third_list
        irows.append([label, f"{r['importtime_us']['median']:,.0f}", f"{r['importtime_us']['min']:,.0f}",
                      f"{r['wall_us']['median'] / 1000:,.2f}", third, target, verdict(ok)])
    first: dict[str, Any] = next(iter(imp.values()), {})
    runs = first.get("importtime_us", {}).get("runs", "?")
    parts.append(f"\n### Import time (fresh interpreter, `-X importtime` cumulative, median of {runs} runs)\n")
    parts.append(markdown_table(
        ["module", "cumulative µs (median)", "min µs", "wall ms (median)", "third-party modules loaded",
         "target", "result"], irows))

    # -- instrument ----------------------------------------------------------------------------
    irows = []
    labels = {
        "inst-lm": ("`@lm.instrument`", '`lm.count("bench.handled", 1)`'),
        "inst-pt": ("Powertools `Metrics(...).log_metrics` (EMF)", '`metrics.add_metric(name="handled", ...)`'),
        "inst-dd": ("`datadog_lambda_wrapper`", '`lambda_metric("bench.handled", 1)`'),
    }
    for worker, (label, metric) in labels.items():
        bare = t(worker, "bare")
        for key, body in (("wrapped_one", f"one metric: {metric}"), ("wrapped_empty", "`return 1` (no metric)")):
            m = t(worker, key)
            if m is None or bare is None:
                irows.append([label, body, "n/a", "n/a", checked(worker, key), "—", "ERROR"])
                continue
            over_min = (m["min"] - bare["min"]) / 1000
            over_med = (m["median"] - bare["median"]) / 1000
            target, ok = "—", None
            if worker == "inst-lm":
                target, ok = f"<= {INSTRUMENT_BUDGET_US:g} µs", over_min <= INSTRUMENT_BUDGET_US
            irows.append([label, body, f"{fmt_us(m['min'] / 1000)} / {fmt_us(m['median'] / 1000)}",
                          f"{fmt_us(over_min)} / {fmt_us(over_med)}", checked(worker, key), target, verdict(ok)])
    bare_lm = t("inst-lm", "bare")
    parts.append("\n### Handler decorator, per warm invocation (µs; min / median over rounds)\n")
    parts.append(markdown_table(
        ["decorator", "handler body", "wrapped µs", "minus bare handler µs", "lines check", "target", "result"],
        irows))
    parts.append(
        "\nThe bare handler `def h(event, context): return 1` costs "
        + (f"{bare_lm['min']:.0f} ns" if bare_lm else "n/a")
        + " per call; it is measured in each decorator's process and subtracted. The one-metric rows (the fair "
        "comparison: Powertools warns when no metric was added) include that metric's own cost. "
        "`@lm.instrument` also flushes the stream after every invocation (a write(2) of its lines).")

    # -- notes ---------------------------------------------------------------------------------
    notes = []
    for name, res in sorted(w.items()):
        if "error" in res:
            notes.append(f"- worker `{name}` failed: {res['error'].splitlines()[-1] if res['error'] else ''}")
    for name, res in sorted((data.get("audit") or {}).items()):
        if "error" in res:
            notes.append(f"- audit of `{name}` failed: {res['error'].splitlines()[-1]}")
            continue
        events = res.get("network_events", [])
        net = [e for e in events if e.split()[0] in NETWORK_EVENTS]
        local = sorted({e.split()[0] for e in events if e.split()[0] not in NETWORK_EVENTS})
        notes.append(f"- network audit of `{name}` (check run under `sys.addaudithook`): {len(net)} network events"
                     + (f" {net[:3]}" if net else "") + (f"; local socket calls: {', '.join(local)}" if local else "")
                     + f"; threads: {', '.join(res.get('threads', []))}")
    leaked = (w.get("metric-lm") or {}).get("anchor_modules")
    if leaked:
        notes.append(f"- WARNING: anchor modules loaded in the lambda_metrics process: {leaked}")
    meta = data["meta"]
    notes.append(f"- {meta['python']} on {meta['machine']}, {meta['cpus']} CPUs; "
                 f"{'quick' if meta['quick'] else 'full'} run, {meta['rounds']} rounds per candidate, "
                 f"{meta['elapsed_s']:.0f} s in all. Anchor environment: "
                 + ", ".join(f"{k}={v}" for k, v in ANCHOR_ENV.items()) + " (DD_API_KEY unset).")
    parts.append("\n### Notes\n")
    parts.append("\n".join(notes))
    return "\n".join(parts)


def parent_main(quick: bool, as_json: bool) -> int:
    started = time.perf_counter()
    compile_sources([REPO / "lambda_metrics"])
    env = clean_env(ANCHOR_ENV)
    data: dict[str, Any] = {"workers": {}, "audit": {}}
    flag = ["--quick"] if quick else []
    for name in WORKERS:
        print(f"running {name}...", file=sys.stderr, flush=True)
        try:
            data["workers"][name] = run_worker(SCRIPT, ["--worker", name, *flag], env)
        except Exception as err:  # a benchmark never fails the build: report and go on
            data["workers"][name] = {"error": str(err)}
            print(f"worker {name} failed: {err}", file=sys.stderr)
    for name in ("metric-dd", "metric-pt", "inst-dd", "inst-pt"):
        try:
            data["audit"][name] = run_worker(SCRIPT, ["--worker", name, "--audit"], env)
        except Exception as err:
            data["audit"][name] = {"error": str(err)}
    print("measuring import times...", file=sys.stderr, flush=True)
    try:
        data["imports"] = measure_imports(quick, env)
    except Exception as err:
        data["imports"] = {}
        print(f"import measurement failed: {err}", file=sys.stderr)
    data["meta"] = {
        "python": f"Python {platform.python_version()}",
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "quick": quick,
        "rounds": (ROUNDS_QUICK if quick else ROUNDS_FULL)[0],
        "seconds_per_sample": (ROUNDS_QUICK if quick else ROUNDS_FULL)[1],
        "elapsed_s": time.perf_counter() - started,
    }
    for failures in (r.get("checks", {}) for r in data["workers"].values()):
        for key, c in failures.items():
            if not c["ok"]:
                print(f"check failed: {key}: {c['problem']}", file=sys.stderr)
    if as_json:
        print(json.dumps(data, indent=2))
    else:
        print(build_report(data))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print the raw numbers as JSON")
    parser.add_argument("--quick", action="store_true", help="fewer rounds: a smoke test")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--audit", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker_main(args.worker, args.quick, args.audit)
        return 0
    return parent_main(args.quick, args.json)


if __name__ == "__main__":
    sys.exit(main())

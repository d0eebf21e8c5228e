"""Helpers shared by the benchmarks in bench/: clean environments, interleaved timing, tables.

Benchmarks run their candidates in child processes (``run_worker``) so that one library's import
side effects cannot slow down another, time them round-robin (``round_robin``) because a small
shared machine is noisy, and report the minimum and the median over rounds.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import timeit
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULT_MARK = "@@BENCH-RESULT "

#: Variables that would change what a library writes or how it behaves; removed from every child.
_SCRUBBED_PREFIXES = ("DD_", "LAMBDA_METRICS_", "POWERTOOLS_", "AWS_LAMBDA_", "AWS_XRAY_", "_X_AMZN_")


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The current environment without PYTHONDONTWRITEBYTECODE and without any library setting, plus ``extra``.

    Without PYTHONDONTWRITEBYTECODE the children load (and if needed write) ``.pyc`` files, so an
    import measures importing, not compiling.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "PYTHONDONTWRITEBYTECODE" and not k.startswith(_SCRUBBED_PREFIXES)
    }
    env.update(extra or {})
    return env


def compile_sources(paths: Iterable[Path]) -> None:
    """Byte-compile the project's own packages (an editable install is not compiled by pip)."""
    for path in paths:
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(path)],
            check=True,
            env=clean_env(),
        )


@dataclass
class Candidate:
    """One timed statement: ``stmt`` runs in ``namespace`` (inlined by timeit, no extra call)."""

    key: str
    stmt: str
    namespace: dict[str, Any]
    setup: str = "pass"
    #: How many operations one execution of ``stmt`` performs (a batch of N metrics: N).
    ops: int = 1
    number: int = 0
    samples: list[float] = field(default_factory=list)

    def timer(self) -> timeit.Timer:
        return timeit.Timer(self.stmt, self.setup, globals=self.namespace)


def calibrate(timer: timeit.Timer, target_s: float) -> int:
    """A loop count whose execution takes about ``target_s`` seconds."""
    number = 1
    while True:
        elapsed = timer.timeit(number)
        if elapsed >= target_s / 4 or number >= 10_000_000:
            return max(1, int(number * target_s / max(elapsed, 1e-9)))
        number *= 4


def round_robin(candidates: Sequence[Candidate], rounds: int, target_s: float) -> None:
    """Time every candidate once per round, in a rotating order; fills ``samples`` (ns per op)."""
    timers = [c.timer() for c in candidates]
    for cand, timer in zip(candidates, timers, strict=True):
        timer.timeit(100)  # warm-up: caches, first-call paths
        cand.number = calibrate(timer, target_s)
    n = len(candidates)
    for r in range(rounds):
        for i in range(n):
            j = (i + r) % n
            cand = candidates[j]
            elapsed = timers[j].timeit(cand.number)
            cand.samples.append(elapsed * 1e9 / (cand.number * cand.ops))


def summary(samples: Sequence[float]) -> dict[str, float]:
    return {"min": min(samples), "median": statistics.median(samples), "rounds": len(samples)}


def run_worker(script: Path, args: Sequence[str], env: Mapping[str, str], timeout: float = 600) -> dict[str, Any]:
    """Run ``script --worker ...`` in a fresh interpreter and return the JSON it reported."""
    proc = subprocess.run(
        [sys.executable, str(script), *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(REPO),
    )
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            result: dict[str, Any] = json.loads(line[len(RESULT_MARK):])
            result.setdefault("stderr", proc.stderr[-2000:])
            return result
    raise RuntimeError(
        f"worker {' '.join(args)} failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    )


def report(result: Mapping[str, Any]) -> None:
    """Worker side: hand the result to the parent on the real stdout (sys.stdout may be redirected)."""
    out = sys.__stdout__
    assert out is not None
    out.write(RESULT_MARK + json.dumps(result) + "\n")
    out.flush()


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    def cell(value: object) -> str:
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines.extend("| " + " | ".join(cell(v) for v in row) + " |" for row in rows)
    return "\n".join(lines)


def fmt_ns(ns: float) -> str:
    return f"{ns:,.0f}" if ns >= 100 else f"{ns:.1f}"


def fmt_us(us: float) -> str:
    return f"{us:,.1f}" if us >= 10 else f"{us:.2f}"


def verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("PASS" if ok else "FAIL")


Check = Callable[[list[str]], str | None]

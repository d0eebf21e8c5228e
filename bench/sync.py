"""Benchmark of ``lambda-monitors`` plan/apply: requests and wall time at scale.

    .venv/bin/python bench/sync.py            # 1,000 functions (~5,000 monitors + ~5,000 alarms)
    .venv/bin/python bench/sync.py --quick    # 50 functions, a smoke test

The Datadog API emulator (tests/emulators/datadog_api.py) and moto's server each run in their own
child process on 127.0.0.1, so the client under test has a core to itself. Every request gets 20 ms
of added latency: the emulator sleeps before answering, and for moto a botocore ``before-send`` hook
sleeps in the calling thread. Scenarios, each from the state the previous one left:

(a) apply from empty, sequential (1 worker) and with the worker pool (default 16), each from an
    empty account; (b) plan with no changes; (c) apply after editing 10 functions' p99 threshold.

Requests are counted by the backends themselves (per operation). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from monitors.config import load_config  # noqa: E402
from monitors.lambda_defaults import expand  # noqa: E402
from monitors.model import DesiredState  # noqa: E402
from monitors.sync import Engine, SyncOptions  # noqa: E402
from monitors.sync.cloudwatch import CloudWatchAlarms  # noqa: E402
from monitors.sync.datadog import DatadogMonitors  # noqa: E402

API_KEY, APP_KEY = "bench-api-key", "bench-app-key"
_DATADOG_CHILD = """
import sys
sys.path.insert(0, {tests!r})
from emulators.datadog_api import DatadogEmulator
emu = DatadogEmulator(api_key={api!r}, app_key={app!r}, latency={latency}).start()
print(emu.url, flush=True)
sys.stdin.read()
"""
_MOTO_CHILD = """
import logging, sys
logging.disable(logging.CRITICAL)
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
host, port = server.get_host_and_port()
print(f"http://{host}:{port}", flush=True)
sys.stdin.read()
"""


class Child:
    """A server in a child process; ``url`` from its first line of output; stops when stdin closes."""

    def __init__(self, code: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"child server did not start: {self.url!r}")

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def config_text(functions: int, edited: int = 0) -> str:
    lines = [
        "service: bench",
        "env: prod",
        'notify: ["@slack-bench"]',
        "cloudwatch:",
        "  region: us-east-1",
        "defaults:",
        "  duration: {p99_ms: 3000, timeout_pct: 80}",
        "  errors: {count: 5, rate_pct: 1}",
        "  throttles: {count: 1}",
        "functions:",
    ]
    for i in range(functions):
        lines.append(f"  - name: fn-{i:04d}")
        lines.append("    timeout_s: 30")
        if i < edited:
            lines.append("    duration: {p99_ms: 4500}")
    return "\n".join(lines) + "\n"


def load_state(functions: int, edited: int = 0) -> DesiredState:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        handle.write(config_text(functions, edited))
    try:
        return expand(load_config(handle.name))
    finally:
        os.unlink(handle.name)


def backends(dd_url: str, workers: int, latency: float) -> tuple[DatadogMonitors, CloudWatchAlarms]:
    dd = DatadogMonitors("bench", api_key=API_KEY, app_key=APP_KEY, api_host=dd_url, pool_size=workers)
    cw = CloudWatchAlarms("bench", "lambda-monitors-bench-", region="us-east-1", pool_size=workers)

    def delay(**_: Any) -> None:
        time.sleep(latency)

    cw.client.meta.events.register("before-send.cloudwatch", delay)
    return dd, cw


def run(
    state: DesiredState, dd_url: str, *, workers: int, latency: float, apply: bool, validate: bool
) -> dict[str, Any]:
    dd, cw = backends(dd_url, workers, latency)
    engine = Engine(state, [dd, cw], SyncOptions(workers=workers, validate=validate))
    started = time.perf_counter()
    plan = engine.plan()
    results = engine.apply(plan) if apply else []
    elapsed = time.perf_counter() - started
    failed = [r for r in results if not r.ok]
    if failed:
        raise RuntimeError(f"{len(failed)} changes failed, first: {failed[0].error}")
    counts: dict[str, int] = {}
    for name, n in dd.requests.snapshot().items():
        counts[f"dd {name}"] = n
    for name, n in cw.requests.snapshot().items():
        counts[f"cw {name}"] = n
    return {"seconds": elapsed, "requests": counts, "changes": len(plan.pending)}


def reset_moto(url: str) -> None:
    with urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=30) as r:
        r.read()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="50 functions instead of 1,000")
    parser.add_argument("--functions", type=int, default=None)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds added to every request")
    parser.add_argument("--validate-a", action="store_true", help="also validate every monitor in scenario (a)")
    args = parser.parse_args(argv)
    functions = args.functions or (50 if args.quick else 1000)
    os.environ.update(
        {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench-secret", "AWS_DEFAULT_REGION": "us-east-1"}
    )
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    state = load_state(functions)
    edited = load_state(functions, edited=10)
    tests = str(REPO / "tests")
    moto = Child(_MOTO_CHILD)
    os.environ["AWS_ENDPOINT_URL"] = moto.url
    rows: list[tuple[str, int, dict[str, Any]]] = []
    try:
        for label, workers in (("(a) apply from empty, sequential", 1), ("(a) apply from empty, pool", args.workers)):
            dd = Child(_DATADOG_CHILD.format(tests=tests, api=API_KEY, app=APP_KEY, latency=args.latency))
            reset_moto(moto.url)
            try:
                result = run(state, dd.url, workers=workers, latency=args.latency, apply=True, validate=args.validate_a)
                rows.append((label, workers, result))
                print(f"{label}: {result['seconds']:.1f} s", file=sys.stderr)
                if workers != 1:
                    result = run(state, dd.url, workers=workers, latency=args.latency, apply=False, validate=True)
                    rows.append(("(b) plan, no changes", workers, result))
                    result = run(edited, dd.url, workers=workers, latency=args.latency, apply=True, validate=True)
                    rows.append(("(c) apply after editing 10 functions", workers, result))
            finally:
                dd.stop()
    finally:
        moto.stop()
    monitors, alarms = len(state.datadog_monitors), len(state.cloudwatch_alarms)
    print(
        f"{functions} functions: {monitors} Datadog monitors, {alarms} CloudWatch alarms; "
        f"{args.latency * 1000:.0f} ms added per request.\n"
    )
    print("| scenario | workers | changes | requests | wall time |")
    print("|---|---:|---:|---|---:|")
    for label, workers, result in rows:
        requests = ", ".join(f"{k} {v}" for k, v in sorted(result["requests"].items()))
        total = sum(result["requests"].values())
        print(f"| {label} | {workers} | {result['changes']} | {total}: {requests} | {result['seconds']:.1f} s |")
    sequential, pool = rows[0][2]["seconds"], rows[1][2]["seconds"]
    print(f"\nPool speed-up for (a): {sequential / pool:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

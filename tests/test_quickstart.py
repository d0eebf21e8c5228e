"""The README's main-job command (`./tasks demo`) runs end to end: the example against emulated AWS,
its metrics table, and the offline plan of its monitors. (The test command is what CI itself runs.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_quickstart_names_exactly_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    quickstart = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    block = quickstart.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in block.strip().splitlines()]
    assert commands == ["./tasks demo", "./tasks test"]
    assert "./tasks test" in (ROOT / ".ci" / "run").read_text()


def test_main_job_runs_end_to_end_without_credentials() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DD_", "LAMBDA_METRICS_"))}
    env.update(TASKS_VENV=sys.prefix, TASKS_NO_INSTALL="1", HOME=str(ROOT / ".no-home"))
    done = subprocess.run(
        ["bash", str(ROOT / "tasks"), "demo"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "Metrics (" in out and "screen_resize.images" in out and "format:png" in out
    assert "s3://screen-resize-screens/artboards/home-screen-640x400.png" in out
    assert "note: OFFLINE: no service was asked" in out
    assert "Plan: 16 to create, 0 to update" in out
    assert "Traceback" not in done.stderr

"""The ``lambda-monitors`` CLI: output, exit codes, and no tracebacks for user mistakes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from monitors.cli import COMMANDS, main, register_command

DATA = Path(__file__).parent / "data" / "monitors"
EXAMPLE = str(DATA / "issue-example.yaml")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_render_json_prints_the_desired_state(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "render", EXAMPLE, "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert list(data) == ["datadog_monitors", "cloudwatch_alarms", "datadog_dashboards", "cloudwatch_dashboards"]
    assert [m["key"] for m in data["datadog_monitors"]][:2] == [
        "screen-resize/duration-p99",
        "screen-resize/duration-timeout",
    ]
    assert data["cloudwatch_alarms"][0]["payload"]["AlarmName"] == (
        "lambda-monitors-screen-resize-screen-resize/duration-p99"
    )
    assert data["datadog_monitors"][0]["payload"]["options"]["thresholds"] == {"critical": 5000}


def test_render_human_lists_keys_names_and_queries(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "render", EXAMPLE)
    assert (code, err) == (0, "")
    assert "Datadog monitors (9):" in out and "CloudWatch alarms (9):" in out
    assert "  thumbnail/errors-count\n      name:  [screen-resize/prod] thumbnail: errors\n" in out
    assert "      alarm: AWS/Lambda Throttles Sum per 900 s >= 1\n" in out


def test_validate_ok(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "validate", EXAMPLE)
    assert (code, out, err) == (0, f"{EXAMPLE}: OK (9 Datadog monitors, 9 CloudWatch alarms)\n", "")


def test_validate_lists_every_config_error_and_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "monitors.yaml"
    path.write_text(
        "service: svc\nfunctions:\n  - name: a\n    timeout_s: 901\n    duration: {p99_ms: fast}\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "validate", str(path))
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"{path}:4: functions[0].timeout_s: expected the function's timeout in whole seconds, from 1 to 900, got 901",
        f"{path}:5: functions[0].duration.p99_ms: expected a positive number, got 'fast'",
        "2 errors found",
    ]


@pytest.mark.parametrize("command", ["render", "validate"])
def test_missing_file_is_clean(capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str) -> None:
    missing = tmp_path / "nope.yaml"
    code, out, err = run(capsys, command, str(missing))
    assert (code, out, err) == (1, "", f"{missing}: file not found\n1 error found\n")


def test_yaml_syntax_error_is_clean_with_its_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "monitors.yaml"
    path.write_text("service: svc\nfunctions:\n  - name: [a\n", encoding="utf-8")
    code, out, err = run(capsys, "render", str(path), "--json")
    assert (code, out) == (1, "")
    assert err.startswith(f"{path}:4: invalid YAML: ")
    assert "Traceback" not in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "render")[0] == 2
    code, _, err = run(capsys, "frobnicate", "x")
    assert code == 2 and "invalid choice: 'frobnicate'" in err
    code, _, err = run(capsys)
    assert code == 2 and "a command is required" in err
    assert run(capsys, "--help")[0] == 0


def test_commands_can_be_added_by_other_modules(capsys: pytest.CaptureFixture[str]) -> None:
    seen = []

    def add(parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--dry", action="store_true")

    def run_plan(args, stdout, stderr):  # type: ignore[no-untyped-def]
        seen.append(args.dry)
        stdout.write("planned\n")
        return 3

    register_command("plan-test", "a test command", add, run_plan)
    try:
        assert run(capsys, "plan-test", "--dry") == (3, "planned\n", "")
        assert seen == [True]
    finally:
        del COMMANDS["plan-test"]


def test_python_dash_m_monitors_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "monitors", "validate", EXAMPLE], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.endswith("OK (9 Datadog monitors, 9 CloudWatch alarms)\n")


def test_import_monitors_stays_light() -> None:
    code = (
        "import sys, monitors; "
        "print(sorted(m for m in ('yaml', 'boto3', 'botocore', 'datadog', 'datadog_api_client') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"

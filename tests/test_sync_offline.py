"""plan --offline: what a first apply would create, with no credentials and no service asked."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from monitors.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "screen_resize" / "monitors.yaml"


@pytest.fixture(autouse=True)
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("AWS_", "DD_")):
            monkeypatch.delenv(name)
    # Anything that tried the network would fail loudly here.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("DD_API_HOST", "http://127.0.0.1:9")


def test_offline_plan_shows_every_object_as_a_create_clearly_labelled(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(EXAMPLE), "--offline"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("note: OFFLINE: no service was asked")
    assert "+ create  screen-resize/errors-rate" in out
    assert "+ create  custom/failure-rate" in out
    assert out.rstrip().endswith("Plan: 16 to create, 0 to update, 0 to adopt, 0 to delete, 0 blocked, 0 unchanged.")


def test_offline_plan_json_and_detailed_exitcode(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(EXAMPLE), "--offline", "--json", "--detailed-exitcode"]) == 2
    document = json.loads(capsys.readouterr().out)
    assert document["summary"]["create"] == 16
    assert {c["action"] for c in document["changes"]} == {"create"}
    assert document["notes"][0].startswith("OFFLINE")


def test_offline_plan_honours_target(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(EXAMPLE), "--offline", "--target", "cloudwatch"]) == 0
    out = capsys.readouterr().out
    assert "Datadog" not in out.replace("Run without --offline to compare with Datadog", "")
    assert "Plan: 8 to create" in out


def test_offline_plan_of_a_bad_file_is_a_clean_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "monitors.yaml"
    bad.write_text("service: x\nfunctions:\n  - name: f\n    timeout_s: 1000\n")
    assert main(["plan", str(bad), "--offline"]) == 1
    err = capsys.readouterr().err
    assert "monitors.yaml:4: functions[0].timeout_s" in err
    assert "Traceback" not in err

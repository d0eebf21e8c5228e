"""plan/apply end to end against the Datadog emulator and moto's server: end state, faults, ownership.

Every test drives the real clients (``datadog.api`` over HTTP to the emulator, boto3 to moto) and
asserts what the services hold afterwards, plus what the CLI printed and returned.
"""

from __future__ import annotations

import io
import json
import textwrap
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from emulators.aws import MotoServer
from emulators.datadog_api import DatadogEmulator

from monitors.cli import main

API_KEY = "SECRETddapi0123456789abcdef0123456789"
APP_KEY = "SECRETddapp0123456789abcdef0123456789abcdef"
AWS_SECRET = "SECRETaws/0123456789abcdefghijklmnopqrstuv"
SECRETS = (API_KEY, APP_KEY, AWS_SECRET)
PREFIX = "lambda-monitors-shop-"

FUNCTIONS = """
  - name: resize
    timeout_s: 30
  - name: thumb
    timeout_s: 10
"""


def config_text(
    service: str = "shop", functions: str = FUNCTIONS, tags: str = '["team:imaging"]', p99: int = 3000
) -> str:
    return (
        textwrap.dedent(
            f"""\
        service: {service}
        env: prod
        notify: ["@slack-alerts"]
        tags: {tags}
        cloudwatch:
          region: us-east-1
        defaults:
          duration: {{p99_ms: {p99}, timeout_pct: 80}}
          errors: {{count: 5, rate_pct: 1}}
          throttles: {{count: 1}}
        functions:
        """
        )
        + textwrap.indent(textwrap.dedent(functions).strip("\n"), "  ")
        + "\n"
    )


@dataclass
class SyncEnv:
    dd: DatadogEmulator
    aws: MotoServer
    dir: Path
    capsys: pytest.CaptureFixture[str]

    def write(self, text: str, name: str = "monitors.yaml") -> str:
        path = self.dir / name
        path.write_text(text)
        return str(path)

    def run(self, *argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = self.capsys.readouterr()
        for secret in SECRETS:
            assert secret not in out and secret not in err
        return code, out, err

    @property
    def cw(self) -> Any:
        return boto3.client("cloudwatch", region_name="us-east-1")

    def alarms(self, prefix: str = "") -> dict[str, dict[str, Any]]:
        params = {"AlarmNamePrefix": prefix} if prefix else {}
        pages = self.cw.get_paginator("describe_alarms").paginate(**params)
        return {a["AlarmName"]: a for page in pages for a in page["MetricAlarms"]}

    def alarm_tags(self, name: str) -> dict[str, str]:
        arn = self.alarms(name)[name]["AlarmArn"]
        return {t["Key"]: t["Value"] for t in self.cw.list_tags_for_resource(ResourceARN=arn)["Tags"]}

    def monitors_by_key(self) -> Counter[str]:
        keys = Counter[str]()
        for monitor in self.dd.monitors.values():
            for tag in monitor["tags"]:
                if tag.startswith("lambda-monitors-key:"):
                    keys[tag.split(":", 1)[1]] += 1
        return keys


@pytest.fixture
def env(
    moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> Iterator[SyncEnv]:
    emulator = DatadogEmulator(api_key=API_KEY, app_key=APP_KEY).start()
    monkeypatch.setenv("DD_API_KEY", API_KEY)
    monkeypatch.setenv("DD_APP_KEY", APP_KEY)
    monkeypatch.setenv("DD_API_HOST", emulator.url)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
    monkeypatch.setenv("LAMBDA_MONITORS_RETRY_BASE", "0.01")
    try:
        yield SyncEnv(emulator, moto_server, tmp_path, capsys)
    finally:
        emulator.stop()
        assert emulator.internal_errors == []


def test_apply_from_empty_creates_everything_once_and_a_second_plan_is_empty(env: SyncEnv) -> None:
    path = env.write(config_text())
    code, out, _ = env.run("plan", path, "--detailed-exitcode")
    assert code == 2
    assert "+ create  resize/errors-rate" in out
    assert "Plan: 20 to create, 0 to update" in out
    assert env.dd.monitors == {}  # plan changes nothing

    code, out, err = env.run("apply", path, "--yes")
    assert (code, err) == (0, "")
    assert "Applied: 20 created; 0 failed." in out
    assert env.monitors_by_key() == Counter({f"{f}/{i}": 1 for f in ("resize", "thumb") for i in _ITEMS})
    alarms = env.alarms(PREFIX)
    assert sorted(alarms) == sorted(f"{PREFIX}{f}/{i}" for f in ("resize", "thumb") for i in _ITEMS)
    assert env.alarm_tags(f"{PREFIX}resize/errors-rate")["lambda-monitors-service"] == "shop"

    env.dd.reset_requests()
    code, out, _ = env.run("plan", path, "--detailed-exitcode")
    assert code == 0
    assert "No changes. 20 objects are up to date." in out
    assert [(r.method, r.path) for r in env.dd.requests] == [("GET", "/api/v1/monitor")]


_ITEMS = ("duration-p99", "duration-timeout", "errors-count", "errors-rate", "throttles")


def test_a_threshold_change_shows_old_and_new_and_converges(env: SyncEnv) -> None:
    env.run("apply", env.write(config_text()), "--yes")
    path = env.write(config_text(p99=4500))
    code, out, _ = env.run("plan", path, "--detailed-exitcode")
    assert code == 2
    assert "options.thresholds.critical: 3000 -> 4500" in out
    assert "Threshold: 3000 -> 4500" in out
    assert "Plan: 0 to create, 4 to update" in out  # p99 monitor and alarm, for two functions

    code, out, _ = env.run("apply", path, "--yes", "--json")
    assert code == 0
    document = json.loads(out)
    assert document["applied"] == 4 and document["failed"] == 0
    assert {r["action"] for r in document["results"]} == {"update"}
    assert env.alarms(f"{PREFIX}thumb/duration-p99")[f"{PREFIX}thumb/duration-p99"]["Threshold"] == 4500.0
    assert env.run("plan", path, "--detailed-exitcode")[0] == 0
    assert len(env.dd.monitors) == 10


def test_tag_changes_on_alarms_go_through_tag_and_untag(env: SyncEnv) -> None:
    env.run("apply", env.write(config_text()), "--yes")
    path = env.write(config_text(tags='["team:video", "tier:1"]'))
    code, out, _ = env.run("plan", path)
    assert code == 0
    assert "Plan: 0 to create, 20 to update" in out
    # The real tags were read for the diff: the old value is shown, per tag.
    assert 'Tags.team: "imaging" -> "video"' in out and 'Tags.tier: (absent) -> "1"' in out
    assert env.run("apply", path, "--yes")[0] == 0
    tags = env.alarm_tags(f"{PREFIX}resize/throttles")
    assert tags["team"] == "video" and tags["tier"] == "1"
    assert env.run("plan", path, "--detailed-exitcode")[0] == 0

    path = env.write(config_text(tags='["team:video"]'))
    assert env.run("apply", path, "--yes")[0] == 0
    assert "tier" not in env.alarm_tags(f"{PREFIX}resize/throttles")
    assert all("tier:1" not in m["tags"] for m in env.dd.monitors.values())
    assert env.run("plan", path, "--detailed-exitcode")[0] == 0


def _seed_foreign_objects(env: SyncEnv) -> None:
    env.dd.seed_monitor(
        {
            "name": "hand-made",
            "type": "query alert",
            "query": "avg(last_5m):avg:x{*} > 1",
            "tags": ["team:imaging"],
            "options": {"thresholds": {"critical": 1}},
        }
    )
    env.dd.seed_monitor(
        {
            "name": "other team",
            "type": "query alert",
            "query": "avg(last_5m):avg:x{*} > 1",
            "tags": [
                "managed-by:lambda-monitors",
                "lambda-monitors-service:other",
                "lambda-monitors-key:resize/errors-rate",
            ],
            "options": {"thresholds": {"critical": 1}},
        }
    )
    base = {
        "MetricName": "Errors",
        "Namespace": "AWS/Lambda",
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanThreshold",
    }
    env.cw.put_metric_alarm(AlarmName=f"{PREFIX}hand-made", **base)
    env.cw.put_metric_alarm(
        AlarmName="lambda-monitors-shopfront-x",
        AlarmDescription="d [lambda-monitors service=shopfront tags=000000000000]",
        Tags=[
            {"Key": "managed-by", "Value": "lambda-monitors"},
            {"Key": "lambda-monitors-service", "Value": "shopfront"},
        ],
        **base,
    )


def test_prune_deletes_only_owned_objects_of_this_scope(env: SyncEnv) -> None:
    _seed_foreign_objects(env)
    env.run("apply", env.write(config_text()), "--yes")
    smaller = env.write(config_text(functions="- name: resize\n  timeout_s: 30\n"))

    code, out, _ = env.run("plan", smaller, "--detailed-exitcode")
    assert code == 0
    assert "5 owned Datadog monitor(s) of this service are no longer in the file" in out
    assert "- delete" not in out

    code, out, _ = env.run("plan", smaller, "--prune", "--detailed-exitcode")
    assert code == 2
    assert out.count("- delete") == 10 and "thumb/errors-rate" in out and "no longer in the file" in out

    code, out, _ = env.run("apply", smaller, "--prune", "--yes")
    assert code == 0, out
    assert "10 deleted" in out
    names = {m["name"] for m in env.dd.monitors.values()}
    assert {"hand-made", "other team"} <= names
    assert set(env.monitors_by_key()) == {f"resize/{i}" for i in _ITEMS}
    alarms = env.alarms()
    assert f"{PREFIX}hand-made" in alarms and "lambda-monitors-shopfront-x" in alarms
    assert not any(name.startswith(f"{PREFIX}thumb/") for name in alarms)
    assert env.run("plan", smaller, "--prune", "--detailed-exitcode")[0] == 0


def test_same_name_without_marker_is_blocked_unless_adopted(env: SyncEnv) -> None:
    path = env.write(config_text(functions="- name: resize\n  timeout_s: 30\n"))
    name = "[shop/prod] resize: errors"
    env.dd.seed_monitor(
        {
            "name": name,
            "type": "query alert",
            "query": "avg(last_5m):avg:x{*} > 1",
            "tags": ["team:imaging"],
            "options": {"thresholds": {"critical": 1}},
        }
    )
    alarm = f"{PREFIX}resize/errors-count"
    env.cw.put_metric_alarm(
        AlarmName=alarm,
        MetricName="Errors",
        Namespace="AWS/Lambda",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanThreshold",
        Tags=[{"Key": "owner", "Value": "ops"}],
    )

    code, out, _err = env.run("apply", path, "--yes")
    assert code == 1
    assert out.count("! blocked") == 2 and "use --adopt to take it over" in out
    assert "8 created" in out
    assert [m["name"] for m in env.dd.monitors.values()].count(name) == 1
    assert env.alarms(alarm)[alarm]["Threshold"] == 1.0  # the hand-made alarm was not overwritten

    code, out, _ = env.run("apply", path, "--yes", "--adopt")
    assert code == 0, out
    assert out.count("~ adopt") == 2
    adopted = [m for m in env.dd.monitors.values() if m["name"] == name]
    assert len(adopted) == 1 and "managed-by:lambda-monitors" in adopted[0]["tags"]
    tags = env.alarm_tags(alarm)
    assert tags["managed-by"] == "lambda-monitors" and "owner" not in tags
    assert env.run("plan", path, "--detailed-exitcode")[0] == 0
    assert len(env.dd.monitors) == 5


@pytest.mark.parametrize("fault", ["drop_response", "500"])
def test_creates_survive_lost_answers_and_server_errors_without_duplicates(env: SyncEnv, fault: str) -> None:
    path = env.write(config_text())
    env.dd.inject(fault, method="POST", path="/api/v1/monitor", times=4)
    code, out, _ = env.run("apply", path, "--yes", "--no-validate")
    assert code == 0, out
    assert env.monitors_by_key() == Counter({f"{f}/{i}": 1 for f in ("resize", "thumb") for i in _ITEMS})
    assert len(env.dd.monitors) == 10
    assert env.run("plan", path, "--detailed-exitcode")[0] == 0


def test_a_429_pauses_until_the_reset_and_then_converges(env: SyncEnv) -> None:
    path = env.write(config_text())
    env.dd.inject("429", method="POST", path="/api/v1/monitor", times=2, reset=0.4)
    started = time.monotonic()
    code, out, _ = env.run("apply", path, "--yes", "--no-validate")
    assert code == 0, out
    assert time.monotonic() - started >= 0.4
    statuses = [r.status for r in env.dd.requests if r.method == "POST"]
    assert statuses.count(429) == 2 and statuses.count(200) == 10
    assert len(env.dd.monitors) == 10


def test_partial_failure_applies_the_rest_lists_the_reason_and_a_rerun_converges(env: SyncEnv) -> None:
    env.run("apply", env.write(config_text()), "--yes")
    broken = next(m for m in env.dd.monitors.values() if "lambda-monitors-key:thumb/duration-p99" in m["tags"])
    env.dd.inject("500", method="PUT", path=f"/api/v1/monitor/{broken['id']}", times=50)
    path = env.write(config_text(p99=4000))
    code, out, _ = env.run("apply", path, "--yes")
    assert code == 1
    assert "1 change(s) failed:" in out
    assert "update datadog_monitors thumb/duration-p99: HTTPError" in out
    assert "Applied: 3 updated; 1 failed." in out
    env.dd._faults.clear()
    code, out, _ = env.run("apply", path, "--yes")
    assert code == 0 and "Applied: 1 updated; 0 failed." in out
    assert env.run("plan", path, "--detailed-exitcode")[0] == 0


def test_apply_without_yes_refuses_when_stdin_is_not_a_terminal(env: SyncEnv) -> None:
    code, _out, err = env.run("apply", env.write(config_text()))
    assert code == 1
    assert "refusing to apply without --yes: stdin is not a terminal" in err
    assert env.dd.monitors == {} and env.alarms() == {}


def test_keys_never_appear_even_in_errors_and_json(env: SyncEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    path = env.write(config_text())
    monkeypatch.setenv("DD_APP_KEY", "SECRETwrongapp0123456789")
    code, out, err = env.run("plan", path, "--json")
    assert code == 1
    assert "Forbidden" in err and "SECRETwrongapp0123456789" not in out + err
    monkeypatch.setenv("DD_APP_KEY", APP_KEY)
    env.dd.inject("500", times=100)
    code, out, err = env.run("apply", path, "--yes", "--json")
    assert code == 1
    assert "cannot list" in err


def test_missing_keys_and_unreachable_endpoints_are_clear_messages(
    env: SyncEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = env.write(config_text())
    monkeypatch.delenv("DD_APP_KEY")
    code, out, err = env.run("plan", path)
    assert code == 1 and "set DD_APP_KEY in the environment" in err and "Traceback" not in err
    monkeypatch.setenv("DD_APP_KEY", APP_KEY)
    monkeypatch.setenv("DD_API_HOST", "http://127.0.0.1:9")
    monkeypatch.setenv("LAMBDA_MONITORS_RETRY_ATTEMPTS", "2")
    code, out, err = env.run("plan", path)
    assert code == 1
    assert err.startswith("lambda-monitors: Datadog monitors: cannot list: ClientError")
    assert "Traceback" not in err
    code, out, err = env.run("plan", path, "--target", "cloudwatch", "--detailed-exitcode")
    assert code == 2 and "Datadog" not in out


def test_dashboards_sync_replan_empty_and_prune_when_switched_off(env: SyncEnv) -> None:
    path = env.write(config_text() + "dashboards: true\n")
    code, out, _ = env.run("apply", path, "--yes")
    assert code == 0, out
    assert len(env.dd.dashboards) == 1
    (dashboard,) = env.dd.dashboards.values()
    assert "lambda-monitors-service:shop" in dashboard["description"]
    assert [d["DashboardName"] for d in env.cw.list_dashboards()["DashboardEntries"]] == [f"{PREFIX}dashboard"]
    env.dd.reset_requests()
    code, out, _ = env.run("plan", path, "--detailed-exitcode")
    assert code == 0, out
    assert "No changes. 22 objects are up to date." in out
    env.dd.seed_dashboard({"title": "hand-made", "layout_type": "ordered", "widgets": []})

    off = env.write(config_text() + "dashboards: false\n")
    assert env.run("plan", off, "--detailed-exitcode")[0] == 0  # not listed at all without --prune
    code, out, _ = env.run("apply", off, "--yes", "--prune")
    assert code == 0, out
    assert out.count("- delete") == 2
    assert [d["title"] for d in env.dd.dashboards.values()] == ["hand-made"]
    assert env.cw.list_dashboards()["DashboardEntries"] == []


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answer", "code", "created"), [("no\n", 1, 0), ("yes\n", 0, 10)])
def test_apply_asks_on_a_terminal(
    env: SyncEnv, monkeypatch: pytest.MonkeyPatch, answer: str, code: int, created: int
) -> None:
    monkeypatch.setattr("sys.stdin", _Terminal(answer))
    got, _, err = env.run("apply", env.write(config_text()), "--target", "datadog")
    assert got == code
    assert "Apply 10 change(s)?" in err
    assert len(env.dd.monitors) == created


def test_ctrl_c_during_apply_stops_starting_changes_reports_them_and_a_rerun_converges(
    env: SyncEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    from monitors.sync import output

    seen: list[object] = []
    real_call = output.ProgressBar.__call__

    def interrupt_after_two(self: output.ProgressBar, result: Any) -> None:
        real_call(self, result)
        seen.append(result)
        if len(seen) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(output.ProgressBar, "__call__", interrupt_after_two)
    path = env.write(config_text())
    code, out, err = env.run("apply", path, "--yes", "--workers", "1")
    assert code == 130
    assert "interrupted:" in err and "were not applied; run apply again to converge" in err
    assert "not applied: interrupted" in out
    made = len(env.dd.monitors) + len(env.alarms())
    assert 2 <= made < 20  # what ran finished; nothing queued was started
    monkeypatch.setattr(output.ProgressBar, "__call__", real_call)
    code, out, _ = env.run("apply", path, "--yes")
    assert code == 0
    assert len(env.dd.monitors) == 10 and len(env.alarms()) == 10
    assert set(env.monitors_by_key().values()) == {1}  # no duplicate
    assert env.run("plan", path, "--detailed-exitcode")[0] == 0

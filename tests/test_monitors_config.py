"""Loading and validating monitors config files: the shape, the three levels, and every error path."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from monitors import (
    CloudWatchSettings,
    Config,
    ConfigError,
    ConfigErrors,
    DatadogSettings,
    DurationSettings,
    ErrorSettings,
    FunctionSpec,
    Overrides,
    ThrottleSettings,
    config_from_dict,
    load_config,
    resolve_function,
    validate_config,
)

DATA = Path(__file__).parent / "data" / "monitors"


def write(tmp_path: Path, text: str, name: str = "monitors.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def errors_of(tmp_path: Path, text: str) -> list[str]:
    path = write(tmp_path, text)
    with pytest.raises(ConfigErrors) as info:
        load_config(path)
    return [str(e).replace(str(path), "monitors.yaml") for e in info.value.errors]


MINIMAL = """
service: screen-resize
functions:
  - name: thumbnail
    timeout_s: 10
"""


# ------------------------------------------------------------------------------------ happy paths


def test_issue_example_loads_with_every_setting() -> None:
    config = load_config(DATA / "issue-example.yaml")

    assert config.service == "screen-resize"
    assert config.env == "prod"
    assert config.notify == ("@slack-imaging-alerts",)
    assert config.cloudwatch == CloudWatchSettings(
        region="us-east-1", alarm_actions=("arn:aws:sns:us-east-1:123456789012:imaging-alerts",)
    )
    assert config.defaults.duration == DurationSettings(p99_ms=3000, timeout_pct=80)
    assert config.defaults.errors == ErrorSettings(count=5, rate_pct=1)
    assert config.defaults.throttles == ThrottleSettings(count=1)
    assert [f.name for f in config.functions] == ["screen-resize", "thumbnail"]
    assert config.functions[0].duration == DurationSettings(p99_ms=5000)
    assert config.functions[1].throttles is False
    assert config.source.endswith("issue-example.yaml")


def test_builtin_defaults_apply_when_the_file_sets_nothing(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    fn = resolve_function(config, "thumbnail")

    assert {name: (item.critical, item.warning, item.window_min) for name, item in fn.items.items()} == {
        "duration-p99": (3000, None, 15),
        "duration-timeout": (80, None, 15),
        "errors-count": (5, None, 15),
        "errors-rate": (1, None, 15),
        "throttles": (1, None, 15),
    }
    assert fn.datadog and fn.cloudwatch
    assert config.alarm_name_prefix == "lambda-monitors-screen-resize-"


def test_function_overrides_defaults_key_by_key() -> None:
    config = load_config(DATA / "issue-example.yaml")
    resize = resolve_function(config, "screen-resize")
    thumbnail = resolve_function(config, "thumbnail")

    assert resize.items["duration-p99"].critical == 5000  # function level
    assert resize.items["duration-timeout"].critical == 80  # from defaults, same group
    assert thumbnail.items["duration-p99"].critical == 3000
    assert "throttles" in resize.items
    assert "throttles" not in thumbnail.items


def test_overrides_at_every_level_and_switches(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            """
            service: svc
            tags: ["team:imaging"]
            notify: ["@team"]
            defaults:
              window_min: 10
              tags: ["tier:1"]
              runbook: https://wiki.example.com/default
              errors: {count: 9, window_min: 20}
              throttles: false
            functions:
              - name: a
                timeout_s: 10
              - name: b
                timeout_s: 10
                window_min: 5
                throttles: {count: 3}
                errors: {rate_pct: false}
                notify: ["@b-owner", "@team"]
                tags: ["tier:2"]
                runbook: https://wiki.example.com/b
                datadog: false
            """,
        )
    )
    a, b = resolve_function(config, "a"), resolve_function(config, "b")

    assert a.items["errors-count"].critical == 9
    assert a.items["errors-count"].window_min == 20  # group window beats the level window
    assert a.items["duration-p99"].window_min == 10
    assert "throttles" not in a.items
    assert a.tags == ("team:imaging", "tier:1")
    assert a.runbook == "https://wiki.example.com/default"
    assert (a.datadog, a.cloudwatch) == (True, True)

    assert b.items["throttles"].critical == 3  # switched off in defaults, back on for b
    assert b.items["duration-p99"].window_min == 5
    assert b.items["errors-count"].window_min == 5  # the function's own window beats anything in defaults
    assert "errors-rate" not in b.items
    assert b.notify == ("@team", "@b-owner")
    assert b.tags == ("team:imaging", "tier:1", "tier:2")
    assert b.runbook == "https://wiki.example.com/b"
    assert (b.datadog, b.cloudwatch) == (False, True)


def test_top_level_backend_switch_wins_over_functions(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            """
            service: svc
            cloudwatch: false
            functions:
              - {name: a, timeout_s: 10, cloudwatch: true}
            """,
        )
    )
    assert config.cloudwatch is False
    assert resolve_function(config, "a").cloudwatch is False


def test_warning_thresholds_are_kept_and_can_be_removed(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            """
            service: svc
            defaults:
              errors: {count: 5, count_warning: 2}
            functions:
              - {name: a, timeout_s: 10}
              - {name: b, timeout_s: 10, errors: {count_warning: false}}
            """,
        )
    )
    assert resolve_function(config, "a").items["errors-count"].warning == 2
    assert resolve_function(config, "b").items["errors-count"].warning is None


def test_python_construction_equals_the_yaml_file() -> None:
    from_yaml = load_config(DATA / "issue-example.yaml")
    built = Config(
        service="screen-resize",
        env="prod",
        notify=("@slack-imaging-alerts",),
        cloudwatch=CloudWatchSettings(
            region="us-east-1", alarm_actions=("arn:aws:sns:us-east-1:123456789012:imaging-alerts",)
        ),
        defaults=Overrides(
            duration=DurationSettings(p99_ms=3000, timeout_pct=80),
            errors=ErrorSettings(count=5, rate_pct=1),
            throttles=ThrottleSettings(count=1),
        ),
        functions=(
            FunctionSpec(name="screen-resize", timeout_s=30, duration=DurationSettings(p99_ms=5000)),
            FunctionSpec(name="thumbnail", timeout_s=10, throttles=False),
        ),
    )
    assert built == from_yaml
    assert validate_config(built) == []


def test_config_from_dict_round_trips_to_dict() -> None:
    config = load_config(DATA / "screen-resize.yaml")
    again = config_from_dict(config.to_dict(), file="copy")
    assert again == config
    assert again.source == "copy"


def test_validate_config_reports_python_mistakes_without_lines() -> None:
    config = Config(
        service="svc",
        datadog=DatadogSettings(priority=9),
        functions=(FunctionSpec(name="a", timeout_s=901, errors=ErrorSettings(count=0)),),
    )
    assert [str(e) for e in validate_config(config)] == [
        "<python>: datadog.priority: expected a priority from 1 to 5, got 9",
        "<python>: functions[0].timeout_s: expected the function's timeout in whole seconds, from 1 to 900, got 901",
        "<python>: functions[0].errors.count: expected a whole number of at least 1, got 0",
    ]


def test_yaml_merge_keys_and_anchors_are_understood(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            """
            service: svc
            functions:
              - &base {name: a, timeout_s: 10, errors: {count: 7}}
              - <<: *base
                name: b
            """,
        )
    )
    assert resolve_function(config, "b").items["errors-count"].critical == 7


# ------------------------------------------------------------------------------------ error paths


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            """
            service: svc
            functions:
              - name: a
                timeout_s: 10
                duration: {p99_ms: fast}
            """,
            "monitors.yaml:5: functions[0].duration.p99_ms: expected a positive number, got 'fast'",
            id="threshold-not-a-number",
        ),
        pytest.param(
            """
            service: svc
            functions:
              - {name: a, timeout_s: 10, errors: {count: -1}}
            """,
            "monitors.yaml:3: functions[0].errors.count: expected a whole number of at least 1, got -1",
            id="negative-count",
        ),
        pytest.param(
            """
            service: svc
            defaults:
              duration: {timeout_pct: 120}
            functions: []
            """,
            "monitors.yaml:3: defaults.duration.timeout_pct: expected a percentage above 0 and at most 100, got 120",
            id="timeout-pct-over-100",
        ),
        pytest.param(
            """
            service: svc
            functions:
              - name: a
                timeout_s: 1000
            """,
            "monitors.yaml:4: functions[0].timeout_s: expected the function's timeout in whole seconds, "
            "from 1 to 900, got 1000",
            id="timeout-over-900",
        ),
        pytest.param(
            """
            service: svc
            functions:
              - name: a
                timeout_s: 2.5
            """,
            "monitors.yaml:4: functions[0].timeout_s: expected the function's timeout in whole seconds, "
            "from 1 to 900, got 2.5",
            id="timeout-not-whole",
        ),
        pytest.param(
            """
            service: svc
            functions:
              - name: a
                timeout_s: 10
                duration: {p99: 5}
            """,
            "monitors.yaml:5: functions[0].duration.p99: unknown key 'p99'; allowed keys: p99_ms, "
            "p99_warning_ms, timeout_pct, timeout_warning_pct, window_min (did you mean 'p99_ms'?)",
            id="unknown-key-with-suggestion",
        ),
        pytest.param(
            """
            service: svc
            functoins: []
            functions: []
            """,
            "monitors.yaml:2: functoins: unknown key 'functoins'; allowed keys: service, env, notify, tags, "
            "datadog, cloudwatch, defaults, functions, catalog, custom, dashboards (did you mean 'functions'?)",
            id="unknown-top-level-key",
        ),
        pytest.param(
            """
            service: svc
            functions:
              - timeout_s: 10
            """,
            "monitors.yaml:3: functions[0]: missing required key 'name'",
            id="missing-name",
        ),
        pytest.param(
            """
            functions: []
            """,
            "monitors.yaml:1: missing required key 'service'",
            id="missing-service",
        ),
        pytest.param(
            """
            service: Screen Resize
            functions: []
            """,
            "monitors.yaml:1: service: expected a lowercase service name (a-z, 0-9, '_', '-', '.'), at most "
            "100, got 'Screen Resize'",
            id="bad-service",
        ),
        pytest.param(
            """
            service: svc
            functions:
              - {name: "my function", timeout_s: 10}
            """,
            "monitors.yaml:3: functions[0].name: expected a Lambda function name (letters, digits, '-' and "
            "'_', at most 64 characters), got 'my function'",
            id="bad-function-name",
        ),
        pytest.param(
            """
            service: svc
            functions:
              - {name: thumb, timeout_s: 10}
              - {name: Thumb, timeout_s: 10}
            """,
            "monitors.yaml:4: functions[1].name: function 'Thumb' is listed twice (functions[0]); names are "
            "compared ignoring case because Datadog lowercases the functionname tag",
            id="duplicate-function",
        ),
        pytest.param(
            """
            service: svc
            functions: {name: a}
            """,
            "monitors.yaml:2: functions: expected a list of a function mapping with at least 'name' and "
            "'timeout_s', got a mapping",
            id="functions-not-a-list",
        ),
        pytest.param(
            """
            service: svc
            notify: ["slack-team"]
            functions: []
            """,
            "monitors.yaml:2: notify[0]: expected a Datadog notification handle such as '@slack-team', "
            "got 'slack-team'",
            id="notify-without-at",
        ),
        pytest.param(
            """
            service: svc
            tags: ["Team:Imaging"]
            functions: []
            """,
            "monitors.yaml:2: tags[0]: tag 'Team:Imaging' must start with a lowercase letter and contain only "
            "lowercase letters, digits and '_', '-', ':', '.', '/'",
            id="tag-not-lowercase",
        ),
        pytest.param(
            """
            service: svc
            tags: ["managed-by:me"]
            functions: []
            """,
            "monitors.yaml:2: tags[0]: tag key 'managed-by' is reserved (lambda-monitors sets it from "
            "'service:'/'env:' and its ownership marker)",
            id="reserved-tag",
        ),
        pytest.param(
            """
            service: svc
            defaults:
              runbook: wiki/page
            functions: []
            """,
            "monitors.yaml:3: defaults.runbook: expected an http(s) URL, got 'wiki/page'",
            id="runbook-not-url",
        ),
        pytest.param(
            """
            service: svc
            cloudwatch:
              region: us-east-1
              treat_missing_data: zero
            functions: []
            """,
            "monitors.yaml:4: cloudwatch.treat_missing_data: expected one of 'notBreaching', 'breaching', "
            "'ignore', 'missing', got 'zero'",
            id="treat-missing-data",
        ),
        pytest.param(
            """
            service: svc
            cloudwatch:
              alarm_actions: [a]
            functions: []
            """,
            "monitors.yaml:3: cloudwatch.alarm_actions[0]: expected an action ARN such as 'arn:aws:sns:...', got 'a'",
            id="action-not-arn",
        ),
        pytest.param(
            """
            service: svc
            functions:
              - {name: a, timeout_s: 10, datadog: "no"}
            """,
            "monitors.yaml:3: functions[0].datadog: expected true or false, got 'no'",
            id="backend-switch-not-bool",
        ),
        pytest.param(
            """
            service: svc
            functions:
              - {name: a, timeout_s: 10, throttles: true}
            """,
            "monitors.yaml:3: functions[0].throttles: expected a mapping of count, count_warning, window_min "
            "or false, got true",
            id="group-true",
        ),
        pytest.param(
            """
            service: svc
            defaults:
              window_min: 2000
            functions: []
            """,
            "monitors.yaml:3: defaults.window_min: expected a whole number of minutes from 1 to 1440, got 2000",
            id="window-too-long",
        ),
        pytest.param(
            """
            service: svc
            functions:
              - name: a
                timeout_s: 10
                duration: {p99_ms: 500, p99_warning_ms: 800}
            """,
            "monitors.yaml:5: functions[0].duration.p99_warning_ms: warning threshold 800 must be below the "
            "critical threshold 500 (function 'a')",
            id="warning-above-critical",
        ),
        pytest.param(
            """
            service: svc
            defaults:
              errors: {count_warning: 9}
            functions:
              - {name: a, timeout_s: 10}
            """,
            "monitors.yaml:3: defaults.errors.count_warning: warning threshold 9 must be below the critical "
            "threshold 5 (function 'a')",
            id="warning-from-defaults-above-builtin-critical",
        ),
        pytest.param(
            """
            service: svc
            functions:
              - name: a
                timeout_s: 10
                errors: {rate_pct: false, rate_warning_pct: 1}
            """,
            "monitors.yaml:5: functions[0].errors.rate_warning_pct: warning threshold set but 'rate_pct' is "
            "switched off for function 'a'; set 'rate_warning_pct: false' too or give a critical threshold",
            id="warning-without-critical",
        ),
        pytest.param(
            """
            service: svc
            service: other
            functions: []
            """,
            "monitors.yaml:2: service: duplicate key 'service'",
            id="duplicate-key",
        ),
        pytest.param(
            """
            service: svc
            functions:
              - name: a
                timeout_s: [10
            """,
            "monitors.yaml:5: invalid YAML: expected ',' or ']', but got '<stream end>' (while parsing a flow "
            "sequence)",
            id="yaml-syntax",
        ),
        pytest.param(
            """
            - service
            """,
            "monitors.yaml:1: expected a mapping with 'service' and 'functions', got a list",
            id="top-level-list",
        ),
        pytest.param("", "monitors.yaml: the file is empty; expected 'service:' and 'functions:'", id="empty"),
    ],
)
def test_each_mistake_names_file_line_path_and_what_is_allowed(tmp_path: Path, text: str, expected: str) -> None:
    assert errors_of(tmp_path, text) == [expected]


def test_every_error_is_collected_in_file_order(tmp_path: Path) -> None:
    assert errors_of(
        tmp_path,
        """
        service: svc
        env: Prod
        functions:
          - name: a
            timeout_s: 0
            duration: {p99_ms: fast, timeout_pct: 101}
          - name: b
            timeout_s: 10
            bogus: 1
        """,
    ) == [
        "monitors.yaml:2: env: expected a lowercase environment name such as 'prod', got 'Prod'",
        "monitors.yaml:5: functions[0].timeout_s: expected the function's timeout in whole seconds, from 1 to "
        "900, got 0",
        "monitors.yaml:6: functions[0].duration.p99_ms: expected a positive number, got 'fast'",
        "monitors.yaml:6: functions[0].duration.timeout_pct: expected a percentage above 0 and at most 100, got 101",
        "monitors.yaml:9: functions[1].bogus: unknown key 'bogus'; allowed keys: name, timeout_s, duration, "
        "errors, throttles, window_min, tags, notify, runbook, datadog, cloudwatch",
    ]


def test_issue_message_format_for_a_value_on_line_14(tmp_path: Path) -> None:
    text = (DATA / "issue-example.yaml").read_text().replace("duration: {p99_ms: 5000}", "duration: {p99_ms: fast}")
    errors = errors_of(tmp_path, text)
    assert errors == ["monitors.yaml:15: functions[0].duration.p99_ms: expected a positive number, got 'fast'"]


def test_config_error_exposes_its_parts(tmp_path: Path) -> None:
    path = write(tmp_path, "service: svc\nfunctions:\n  - {name: a, timeout_s: 10, errors: {count: x}}\n")
    with pytest.raises(ConfigErrors) as info:
        load_config(path)
    (error,) = info.value.errors
    assert isinstance(error, ValueError)
    assert (error.file, error.line, error.path) == (str(path), 3, "functions[0].errors.count")
    assert error.message == "expected a whole number of at least 1, got 'x'"


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigErrors) as info:
        load_config(tmp_path / "nope.yaml")
    assert [str(e) for e in info.value.errors] == [f"{tmp_path / 'nope.yaml'}: file not found"]


def test_unsafe_yaml_tags_are_refused_not_executed(tmp_path: Path) -> None:
    errors = errors_of(tmp_path, "service: !!python/object/apply:os.system ['echo pwned']\nfunctions: []\n")
    assert errors == [
        "monitors.yaml:1: service: unsupported YAML tag 'tag:yaml.org,2002:python/object/apply:os.system'; "
        "only plain YAML values are allowed"
    ]


def test_config_error_str_without_line_or_path() -> None:
    assert str(ConfigError("boom", file="f.yaml")) == "f.yaml: boom"
    assert str(ConfigError("boom", file="f.yaml", line=3, path="a.b")) == "f.yaml:3: a.b: boom"
    assert str(ConfigError("boom", path="a")) == "<python>: a: boom"


def test_resolve_function_unknown_name() -> None:
    config = load_config(DATA / "issue-example.yaml")
    with pytest.raises(KeyError, match="no function named 'nope'"):
        resolve_function(config, "nope")

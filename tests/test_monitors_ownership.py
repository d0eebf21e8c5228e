"""The ownership marker: what makes an object lambda-monitors' to change, and what never is."""

from __future__ import annotations

from pathlib import Path

from monitors import expand, load_config
from monitors.ownership import (
    MANAGED_BY_TAG,
    cloudwatch_tags,
    datadog_tag_problem,
    default_alarm_prefix,
    is_owned_cloudwatch,
    is_owned_datadog,
    key_from_cloudwatch_tags,
    key_from_datadog_tags,
    key_tag,
    service_tag,
)

DATA = Path(__file__).parent / "data" / "monitors"


def test_marker_values() -> None:
    assert MANAGED_BY_TAG == "managed-by:lambda-monitors"
    assert service_tag("screen-resize") == "lambda-monitors-service:screen-resize"
    assert key_tag("screen-resize/errors-rate") == "lambda-monitors-key:screen-resize/errors-rate"
    assert default_alarm_prefix("screen-resize") == "lambda-monitors-screen-resize-"


def test_marker_tags_are_valid_datadog_tags_as_written() -> None:
    for tag in (MANAGED_BY_TAG, service_tag("screen-resize"), key_tag("watermark_legacy-2/errors-rate")):
        assert datadog_tag_problem(tag) is None, tag
    assert datadog_tag_problem("Team:x") is not None
    assert datadog_tag_problem("team:") == "must not end with ':'"
    assert datadog_tag_problem("t:" + "x" * 199) == "is 201 characters long (Datadog allows at most 200)"


def test_rendered_objects_are_owned_and_carry_their_key() -> None:
    state = expand(load_config(DATA / "screen-resize.yaml"))
    for monitor in state.datadog_monitors:
        payload = monitor.payload()
        assert is_owned_datadog(payload, "screen-resize")
        assert not is_owned_datadog(payload, "another-team")
        assert key_from_datadog_tags(payload["tags"]) == monitor.key
    for alarm in state.cloudwatch_alarms:
        tags = alarm.payload()["Tags"]
        assert is_owned_cloudwatch(alarm.alarm_name, tags, state.alarm_name_prefix, "screen-resize")
        assert key_from_cloudwatch_tags(tags) == alarm.key
        assert key_from_cloudwatch_tags(dict(alarm.tags)) == alarm.key


def test_objects_without_the_marker_are_never_owned() -> None:
    assert not is_owned_datadog({"name": "hand made", "tags": ["service:screen-resize"]})
    assert not is_owned_datadog({"name": "no tags"})
    assert is_owned_datadog({"tags": [MANAGED_BY_TAG]})  # any service when none is given

    prefix = "lambda-monitors-svc-"
    tags = {"managed-by": "lambda-monitors", "lambda-monitors-service": "svc"}
    assert is_owned_cloudwatch("lambda-monitors-svc-a/throttles", tags, prefix, "svc")
    assert not is_owned_cloudwatch("my-alarm", tags, prefix)  # tags copied by hand, wrong name
    assert not is_owned_cloudwatch("lambda-monitors-svc-a/throttles", {}, prefix)  # name alone
    assert not is_owned_cloudwatch("lambda-monitors-svc-a/throttles", tags, prefix, "other")
    assert key_from_datadog_tags(["lambda-monitors-key:"]) is None
    assert key_from_cloudwatch_tags([]) is None


def test_cloudwatch_tags_split_at_the_first_colon() -> None:
    assert cloudwatch_tags(["team:imaging", "url:https://x", "flag", "team:other"]) == (
        ("team", "imaging"),
        ("url", "https://x"),
        ("flag", ""),
    )

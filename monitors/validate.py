"""Offline checks of rendered payloads: what the real APIs would refuse, before anything is pushed.

Two layers:

* :func:`validate_state` - the project's own rules, covering what the official schemas do not check
  (moto and botocore accept all of these): CloudWatch ``Period`` of 10, 20, 30 or a multiple of 60 and
  the 1-day / 7-day evaluation limits; ``Statistic`` xor ``ExtendedStatistic``; percentile syntax;
  ``DatapointsToAlarm <= EvaluationPeriods``; metric math shape; name, description and tag limits;
  Datadog critical threshold equal to the query's number, warning on the right side of critical, a
  monitor type Datadog knows. Pure Python, fast.
* :func:`check_cloudwatch_params` (botocore's ``ParamValidator`` on the real ``PutMetricAlarm`` input
  shape) and :func:`check_datadog_model` (``datadog-api-client``'s v1 ``Monitor`` model). These import
  their library lazily, because the CLI must start fast and the libraries are optional.

Sources for the CloudWatch rules: the PutMetricAlarm API reference (Period; "Period multiplied by
EvaluationPeriods can't be more than 604,800 seconds", one day for periods under an hour;
ExtendedStatistic values ``p90``, ``tm90``, ``tc90``, ``ts90``, ``wm90``, ``IQM``, ``PR(n:m)``,
``TC/TM/TS/WM(X%:X%)`` with X from 10 to 90) and the MetricDataQuery reference (Id starts with a
lowercase letter; exactly one ``ReturnData: true`` in an alarm).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any, Final

from monitors.dashboards import check_cloudwatch_dashboard, check_datadog_dashboard
from monitors.model import CLOUDWATCH_STATISTICS, DesiredState
from monitors.ownership import (
    CLOUDWATCH_TAG_KEY_MAX,
    CLOUDWATCH_TAG_VALUE_MAX,
    KEY_TAG_KEY,
    MANAGED_BY_KEY,
    MANAGED_BY_TAG,
    MANAGED_BY_VALUE,
    datadog_tag_problem,
    key_tag,
)

__all__ = [
    "DATADOG_MONITOR_TYPES",
    "check_cloudwatch_alarm",
    "check_cloudwatch_params",
    "check_datadog_model",
    "check_datadog_monitor",
    "is_valid_extended_statistic",
    "schema_checks_available",
    "validate_state",
]

#: Monitor types of the v1 API (``MonitorType`` in datadog-api-client 2.62).
DATADOG_MONITOR_TYPES: Final = frozenset(
    {
        "composite",
        "event alert",
        "log alert",
        "metric alert",
        "process alert",
        "query alert",
        "rum alert",
        "service check",
        "synthetics alert",
        "trace-analytics alert",
        "slo alert",
        "event-v2 alert",
        "audit alert",
        "ci-pipelines alert",
        "ci-tests alert",
        "error-tracking alert",
        "database-monitoring alert",
        "network-performance alert",
        "cost alert",
        "data-quality alert",
        "network-path alert",
        "data-jobs alert",
        "llm-observability alert",
    }
)
#: Not a documented Datadog limit: a conservative project limit that keeps names readable in
#: notifications and well inside what the API accepts.
DATADOG_NAME_MAX: Final = 255
DATADOG_TAGS_MAX: Final = 80  # "Add up to 80 tags directly to your monitors" (Datadog docs).
CLOUDWATCH_NAME_MAX: Final = 255
CLOUDWATCH_DESCRIPTION_MAX: Final = 1024
CLOUDWATCH_TAGS_MAX: Final = 50
CLOUDWATCH_ACTIONS_MAX: Final = 5
TREAT_MISSING_DATA: Final = frozenset({"breaching", "notBreaching", "ignore", "missing"})
#: botocore knows these (PutMetricAlarm model) but its validator does not check enums.
COMPARISON_OPERATORS: Final = frozenset(
    {
        "GreaterThanOrEqualToThreshold",
        "GreaterThanThreshold",
        "LessThanThreshold",
        "LessThanOrEqualToThreshold",
        "LessThanLowerOrGreaterThanUpperThreshold",
        "LessThanLowerThreshold",
        "GreaterThanUpperThreshold",
    }
)

_QUERY_TAIL = re.compile(r"(?P<op>>=|<=|>|<)\s*(?P<number>-?\d+(?:\.\d+)?)\s*$")
_QUERY_WINDOW = re.compile(r"^(avg|max|min|sum|pct_\d+)\(last_\d+[mhdw]\):")
_METRIC_ID = re.compile(r"[a-z][a-zA-Z0-9_]*")
_SHORT_PERCENTILE = re.compile(r"(p|tm|tc|ts|wm)(\d{1,3}(?:\.\d+)?)")
_RANGE_PERCENT = re.compile(r"(TM|TC|TS|WM)\((\d{1,3}(?:\.\d+)?)%:(\d{1,3}(?:\.\d+)?)%\)")
_PERCENTILE_RANK = re.compile(r"PR\((-?\d+(?:\.\d+)?)?:(-?\d+(?:\.\d+)?)?\)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def is_valid_extended_statistic(stat: str) -> bool:
    """Whether CloudWatch accepts ``stat`` as an alarm's ``ExtendedStatistic``.

    ``p99``, ``p99.9``, ``tm90``, ``tc90``, ``ts90``, ``wm90`` (0-100), ``IQM``, ``PR(n:m)``, and
    ``TM/TC/TS/WM(X%:Y%)`` with X and Y from 10 to 90 and X < Y.
    """
    short = _SHORT_PERCENTILE.fullmatch(stat)
    if short:
        return 0 <= float(short.group(2)) <= 100
    if stat == "IQM":
        return True
    ranged = _RANGE_PERCENT.fullmatch(stat)
    if ranged:
        low, high = float(ranged.group(2)), float(ranged.group(3))
        return 10 <= low < high <= 90
    ranks = _PERCENTILE_RANK.fullmatch(stat)
    if ranks is None:
        return False
    return ranks.group(1) is not None or ranks.group(2) is not None


def _period_problems(period: object, where: str) -> list[str]:
    if not isinstance(period, int) or isinstance(period, bool):
        return [f"{where} must be an integer number of seconds, got {period!r}"]
    if period in (10, 20, 30) or (period > 0 and period % 60 == 0):
        return []
    return [f"{where} {period} is not allowed; use 10, 20, 30 or a multiple of 60 seconds"]


def _stat_problem(stat: object) -> str | None:
    if not isinstance(stat, str):
        return f"statistic must be a string, got {stat!r}"
    if stat in CLOUDWATCH_STATISTICS or is_valid_extended_statistic(stat):
        return None
    return f"statistic {stat!r} is neither one of {', '.join(CLOUDWATCH_STATISTICS)} nor a valid percentile"


def check_cloudwatch_alarm(payload: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Project rules for one ``put_metric_alarm`` payload; each problem as a sentence."""
    problems: list[str] = []
    name = payload.get("AlarmName", "")
    if not isinstance(name, str) or not 1 <= len(name) <= CLOUDWATCH_NAME_MAX:
        problems.append(f"AlarmName must be 1-{CLOUDWATCH_NAME_MAX} characters, got {len(str(name))}")
    elif _CONTROL.search(name):
        problems.append("AlarmName must not contain control characters")
    elif prefix and not name.startswith(prefix):
        problems.append(f"AlarmName {name!r} does not start with the ownership prefix {prefix!r}")
    description = payload.get("AlarmDescription", "")
    if isinstance(description, str) and len(description) > CLOUDWATCH_DESCRIPTION_MAX:
        problems.append(f"AlarmDescription is {len(description)} characters; at most {CLOUDWATCH_DESCRIPTION_MAX}")
    for field in ("AlarmActions", "OKActions", "InsufficientDataActions"):
        actions = payload.get(field, [])
        if isinstance(actions, list) and len(actions) > CLOUDWATCH_ACTIONS_MAX:
            problems.append(f"{field} has {len(actions)} entries; at most {CLOUDWATCH_ACTIONS_MAX}")

    metrics = payload.get("Metrics")
    single = [k for k in ("MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Period") if k in payload]
    period: object = payload.get("Period")
    if metrics is not None:
        if single:
            problems.append(f"a metric math alarm (Metrics) must not also set {', '.join(single)}")
        problems += _metric_math_problems(metrics)
        periods = [q.get("MetricStat", {}).get("Period") for q in metrics if isinstance(q, Mapping)]
        period = next((p for p in periods if p is not None), None)
    else:
        if "MetricName" not in payload or "Namespace" not in payload:
            problems.append("an alarm needs MetricName and Namespace, or Metrics")
        has_stat, has_ext = "Statistic" in payload, "ExtendedStatistic" in payload
        if has_stat == has_ext:
            problems.append("exactly one of Statistic and ExtendedStatistic must be set")
        if has_stat and payload["Statistic"] not in CLOUDWATCH_STATISTICS:
            problems.append(f"Statistic {payload['Statistic']!r} must be one of {', '.join(CLOUDWATCH_STATISTICS)}")
        if has_ext and not is_valid_extended_statistic(str(payload["ExtendedStatistic"])):
            problems.append(
                f"ExtendedStatistic {payload['ExtendedStatistic']!r} is not a valid percentile "
                "(p0-p100 such as 'p99' or 'p99.9', tm/tc/ts/wm90, IQM, PR(n:m), TM(10%:90%))"
            )
        if "EvaluateLowSampleCountPercentile" in payload:
            if not has_ext:
                problems.append("EvaluateLowSampleCountPercentile only applies to percentile statistics")
            if payload["EvaluateLowSampleCountPercentile"] not in ("evaluate", "ignore"):
                problems.append("EvaluateLowSampleCountPercentile must be 'evaluate' or 'ignore'")
        if "Period" not in payload:
            problems.append("Period is required for an alarm on a single metric")
        else:
            problems += _period_problems(payload["Period"], "Period")
        dimensions = payload.get("Dimensions", [])
        if isinstance(dimensions, list) and len(dimensions) > 30:
            problems.append(f"Dimensions has {len(dimensions)} entries; at most 30")

    evaluation_periods = payload.get("EvaluationPeriods")
    datapoints = payload.get("DatapointsToAlarm", evaluation_periods)
    if not isinstance(evaluation_periods, int) or evaluation_periods < 1:
        problems.append(f"EvaluationPeriods must be a positive integer, got {evaluation_periods!r}")
    else:
        if isinstance(datapoints, int) and not 1 <= datapoints <= evaluation_periods:
            problems.append(
                f"DatapointsToAlarm {datapoints} must be between 1 and EvaluationPeriods ({evaluation_periods})"
            )
        if isinstance(period, int) and not isinstance(period, bool):
            total = period * evaluation_periods
            limit = 86400 if period < 3600 else 604800
            if total > limit:
                problems.append(
                    f"Period x EvaluationPeriods = {total} s exceeds {limit} s "
                    f"({'1 day for periods under an hour' if limit == 86400 else '7 days'})"
                )
    if payload.get("ComparisonOperator") not in COMPARISON_OPERATORS:
        problems.append(f"ComparisonOperator {payload.get('ComparisonOperator')!r} is not one CloudWatch knows")
    if payload.get("TreatMissingData", "missing") not in TREAT_MISSING_DATA:
        problems.append(f"TreatMissingData must be one of {', '.join(sorted(TREAT_MISSING_DATA))}")
    problems += _cloudwatch_tag_problems(payload.get("Tags", []))
    return problems


def _metric_math_problems(metrics: object) -> list[str]:
    if not isinstance(metrics, list) or not metrics:
        return ["Metrics must be a non-empty list"]
    problems: list[str] = []
    ids: list[str] = []
    returning = 0
    for index, query in enumerate(metrics):
        where = f"Metrics[{index}]"
        if not isinstance(query, Mapping):
            problems.append(f"{where} must be a mapping")
            continue
        query_id = query.get("Id")
        if not isinstance(query_id, str) or not _METRIC_ID.fullmatch(query_id):
            problems.append(f"{where}.Id {query_id!r} must start with a lowercase letter (then letters, digits, '_')")
        elif query_id in ids:
            problems.append(f"{where}.Id {query_id!r} is used twice")
        else:
            ids.append(query_id)
        if ("MetricStat" in query) == ("Expression" in query):
            problems.append(f"{where} must have exactly one of MetricStat and Expression")
        if "ReturnData" not in query:
            problems.append(f"{where}.ReturnData must be set explicitly in an alarm (it defaults to true)")
        elif query["ReturnData"] is True:
            returning += 1
        stat = query.get("MetricStat")
        if isinstance(stat, Mapping):
            problems += _period_problems(stat.get("Period"), f"{where}.MetricStat.Period")
            problem = _stat_problem(stat.get("Stat"))
            if problem:
                problems.append(f"{where}.MetricStat: {problem}")
    if returning != 1:
        problems.append(f"exactly one entry of Metrics must have ReturnData true, found {returning}")
    for index, query in enumerate(metrics):
        expression = query.get("Expression") if isinstance(query, Mapping) else None
        if isinstance(expression, str):
            names = set(re.findall(r"\b[a-z][a-zA-Z0-9_]*\b", expression))
            unknown = sorted(n for n in names if n not in ids and not n.isupper())
            if unknown:
                problems.append(f"Metrics[{index}].Expression refers to unknown ids: {', '.join(unknown)}")
    return problems


def _cloudwatch_tag_problems(tags: object) -> list[str]:
    if not isinstance(tags, list):
        return ["Tags must be a list of {'Key', 'Value'}"]
    problems: list[str] = []
    if len(tags) > CLOUDWATCH_TAGS_MAX:
        problems.append(f"{len(tags)} tags; CloudWatch allows at most {CLOUDWATCH_TAGS_MAX}")
    keys: dict[str, str] = {}
    for tag in tags:
        key, value = str(tag.get("Key", "")), str(tag.get("Value", ""))
        if not 1 <= len(key) <= CLOUDWATCH_TAG_KEY_MAX or len(value) > CLOUDWATCH_TAG_VALUE_MAX:
            problems.append(f"tag {key!r}: keys are 1-128 characters and values at most 256")
        if key.startswith("aws:"):
            problems.append(f"tag key {key!r} uses the reserved 'aws:' prefix")
        if key in keys:
            problems.append(f"tag key {key!r} appears twice")
        keys[key] = value
    if keys.get(MANAGED_BY_KEY) != MANAGED_BY_VALUE:
        problems.append(f"the ownership tag {MANAGED_BY_KEY}={MANAGED_BY_VALUE} is missing")
    return problems


def check_datadog_monitor(payload: Mapping[str, Any], key: str | None = None) -> list[str]:
    """Project rules for one ``POST /api/v1/monitor`` body; each problem as a sentence."""
    problems: list[str] = []
    monitor_type = payload.get("type")
    if monitor_type not in DATADOG_MONITOR_TYPES:
        problems.append(f"monitor type {monitor_type!r} is not one Datadog knows")
    name = payload.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append("name must be a non-empty string")
    elif len(name) > DATADOG_NAME_MAX:
        problems.append(f"name is {len(name)} characters; the project allows at most {DATADOG_NAME_MAX}")
    query = payload.get("query")
    options = payload.get("options") or {}
    thresholds = options.get("thresholds") or {}
    critical = thresholds.get("critical")
    warning = thresholds.get("warning")
    if not isinstance(query, str):
        problems.append("query must be a string")
    elif monitor_type in ("query alert", "metric alert"):
        if not _QUERY_WINDOW.match(query):
            problems.append("query must start with a time aggregation such as 'avg(last_15m):'")
        tail = _QUERY_TAIL.search(query)
        if tail is None:
            problems.append("query must end with a comparison such as '> 5'")
        else:
            number = float(tail.group("number"))
            if not isinstance(critical, (int, float)) or isinstance(critical, bool):
                problems.append("options.thresholds.critical is required and must be a number")
            elif float(critical) != number:
                problems.append(
                    f"options.thresholds.critical {critical} differs from the query's threshold {tail.group('number')}"
                )
            if warning is not None and isinstance(critical, (int, float)):
                above = tail.group("op").startswith(">")
                if above and not warning < critical:
                    problems.append(f"warning {warning} must be below critical {critical} for '{tail.group('op')}'")
                if not above and not warning > critical:
                    problems.append(f"warning {warning} must be above critical {critical} for '{tail.group('op')}'")
    delay = options.get("evaluation_delay")
    if delay is not None and (not isinstance(delay, int) or isinstance(delay, bool) or delay < 0):
        problems.append(f"options.evaluation_delay must be a non-negative integer, got {delay!r}")
    tags = payload.get("tags", [])
    if not isinstance(tags, list):
        problems.append("tags must be a list")
        tags = []
    if len(tags) > DATADOG_TAGS_MAX:
        problems.append(f"{len(tags)} tags; Datadog allows at most {DATADOG_TAGS_MAX} per monitor")
    for tag in tags:
        problem = datadog_tag_problem(str(tag))
        if problem:
            problems.append(f"tag {tag!r} {problem}")
    if MANAGED_BY_TAG not in tags:
        problems.append(f"the ownership tag {MANAGED_BY_TAG} is missing")
    if key is not None and key_tag(key) not in tags:
        problems.append(f"the identity tag {KEY_TAG_KEY}:{key} is missing")
    priority = payload.get("priority")
    if priority is not None and (not isinstance(priority, int) or not 1 <= priority <= 5):
        problems.append(f"priority must be 1-5, got {priority!r}")
    return problems


def validate_state(state: DesiredState) -> list[str]:
    """Every project-rule problem of a desired state, as ``"<backend> <key>: <problem>"`` lines."""
    problems: list[str] = []
    for section, objects in (("datadog", state.datadog_monitors), ("cloudwatch", state.cloudwatch_alarms)):
        seen: set[str] = set()
        for obj in objects:
            if obj.key in seen:
                problems.append(f"{section} {obj.key}: the key is used twice")
            seen.add(obj.key)
    names: set[str] = set()
    for monitor in state.datadog_monitors:
        problems += [f"datadog {monitor.key}: {p}" for p in check_datadog_monitor(monitor.payload(), monitor.key)]
    for alarm in state.cloudwatch_alarms:
        if alarm.alarm_name in names:
            problems.append(f"cloudwatch {alarm.key}: alarm name {alarm.alarm_name!r} is used twice")
        names.add(alarm.alarm_name)
        payload = alarm.payload()
        problems += [f"cloudwatch {alarm.key}: {p}" for p in check_cloudwatch_alarm(payload, state.alarm_name_prefix)]
        tags = {t["Key"]: t["Value"] for t in payload["Tags"]}
        if tags.get(KEY_TAG_KEY) != alarm.key:
            problems.append(f"cloudwatch {alarm.key}: the identity tag {KEY_TAG_KEY}={alarm.key} is missing")
    for dashboard in state.datadog_dashboards:
        found = check_datadog_dashboard(dashboard.payload(), state.service)
        problems += [f"datadog {dashboard.key}: {p}" for p in found]
    for cw_dashboard in state.cloudwatch_dashboards:
        problems += [
            f"cloudwatch {cw_dashboard.key}: {p}"
            for p in check_cloudwatch_dashboard(cw_dashboard.payload(), state.alarm_name_prefix)
        ]
    return problems


# ------------------------------------------------------------------- official schemas (lazy imports)


def schema_checks_available() -> dict[str, bool]:
    """Which official-schema checks can run here (``botocore``, ``datadog_api_client``)."""
    import importlib.util

    return {name: importlib.util.find_spec(name) is not None for name in ("botocore", "datadog_api_client")}


@functools.lru_cache(maxsize=1)
def _put_metric_alarm_shape() -> Any:
    import botocore.session

    model = botocore.session.get_session().get_service_model("cloudwatch")
    return model.operation_model("PutMetricAlarm").input_shape


def check_cloudwatch_params(kwargs: Mapping[str, Any]) -> list[str]:
    """Problems botocore's parameter validator finds against the real ``PutMetricAlarm`` input shape.

    This is exactly what ``client.put_metric_alarm(**kwargs)`` would refuse before sending: unknown
    parameters, wrong types, missing required members and minimum lengths and values. It does not
    check enum values, maximum lengths, ``Period`` values or percentile syntax: see
    :func:`check_cloudwatch_alarm`.
    """
    from botocore.validate import ParamValidator

    report = ParamValidator().validate(dict(kwargs), _put_metric_alarm_shape())
    if not report.has_errors():
        return []
    return [line for line in str(report.generate_report()).splitlines() if line.strip()]


@functools.lru_cache(maxsize=1)
def _datadog_configuration() -> Any:
    from datadog_api_client import Configuration

    return Configuration()  # type: ignore[no-untyped-call]


def _unparsed_paths(value: Any, path: str) -> list[str]:
    from datadog_api_client.model_utils import OpenApiModel, UnparsedObject

    found: list[str] = []
    if isinstance(value, UnparsedObject):
        return [path]
    if isinstance(value, OpenApiModel):
        children = dict(value._data_store)
        bad = [f"{path}.{name}" for name, child in children.items() if _leaf_unparsed(child)]
        found += bad
        for name, child in children.items():
            found += _unparsed_paths(child, f"{path}.{name}")
        if value._unparsed and not found:
            found.append(path)
    elif isinstance(value, (list, tuple)):
        for index, child in enumerate(value):
            found += _unparsed_paths(child, f"{path}[{index}]")
    return list(dict.fromkeys(found))


def _leaf_unparsed(value: Any) -> bool:
    from datadog_api_client.model_utils import ModelSimple

    return isinstance(value, ModelSimple) and bool(value._unparsed)


def check_datadog_model(body: Mapping[str, Any]) -> list[str]:
    """Problems ``datadog-api-client``'s v1 ``Monitor`` model finds in a monitor body.

    The body is deserialized the way the client reads API JSON; a type error is a problem, and so is
    any part left ``_unparsed`` (an enum value or a oneOf the model does not know, such as an
    unknown monitor type). The model accepts unknown keys silently, so keys outside the model and
    read-only keys (``id``, ``created``...) are reported here as well.
    """
    from datadog_api_client.exceptions import OpenApiException
    from datadog_api_client.model_utils import validate_and_convert_types
    from datadog_api_client.v1.model.monitor import Monitor
    from datadog_api_client.v1.model.monitor_options import MonitorOptions
    from datadog_api_client.v1.model.monitor_thresholds import MonitorThresholds

    problems: list[str] = []
    for where, data, model in (
        ("", body, Monitor),
        ("options.", body.get("options") or {}, MonitorOptions),
        ("options.thresholds.", (body.get("options") or {}).get("thresholds") or {}, MonitorThresholds),
    ):
        if not isinstance(data, Mapping):
            continue
        for name in data:
            if name not in model.attribute_map:
                problems.append(f"{where}{name}: not a field of the Datadog {model.__name__} model")
            elif name in getattr(model, "read_only_vars", ()):
                problems.append(f"{where}{name}: read-only in the Datadog {model.__name__} model")
    try:
        monitor = validate_and_convert_types(  # type: ignore[no-untyped-call]
            dict(body), (Monitor,), ["body"], True, True, configuration=_datadog_configuration()
        )
    except (OpenApiException, TypeError, ValueError) as exc:
        return [*problems, str(exc)]
    problems += [f"{path}: value not understood by the Datadog model" for path in _unparsed_paths(monitor, "body")]
    return problems

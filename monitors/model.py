"""The desired state: frozen objects that render to the exact API payloads.

Every object has a stable identity key (``screen-resize/errors-rate``) that survives renames and
threshold changes; sync matches desired and actual objects by key, never by name.

* :class:`DatadogMonitor` renders to the body of ``POST /api/v1/monitor``.
* :class:`CloudWatchAlarm` renders to the keyword arguments of ``cloudwatch.put_metric_alarm``
  (``Tags`` included).
* :class:`DesiredState` groups them for one service, with the dashboards
  (:class:`monitors.dashboards.DatadogDashboard`, :class:`monitors.dashboards.CloudWatchDashboard`) in
  ``datadog_dashboards`` and ``cloudwatch_dashboards``, all listed in :attr:`DesiredState.SECTIONS`.

Managed fields are the payload fields a diff compares (:data:`DATADOG_MANAGED_FIELDS`,
:data:`CLOUDWATCH_MANAGED_FIELDS`). Anything else the services return (ids, creation dates, server-side
option defaults such as ``notify_audit`` or ``silenced``) is ignored, so a value the service fills in
never shows up as a change that never goes away.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Final

if TYPE_CHECKING:
    from monitors.dashboards import CloudWatchDashboard, DatadogDashboard

__all__ = [
    "CLOUDWATCH_MANAGED_FIELDS",
    "CLOUDWATCH_STATISTICS",
    "DATADOG_MANAGED_FIELDS",
    "DATADOG_MANAGED_OPTIONS",
    "CloudWatchAlarm",
    "DatadogMonitor",
    "DesiredState",
    "MetricQuery",
    "MetricStat",
]

#: Top-level fields of a monitor that lambda-monitors owns (compared by a plan).
DATADOG_MANAGED_FIELDS: Final = ("name", "type", "query", "message", "tags", "options", "priority")
#: Keys inside ``options`` that lambda-monitors sets; other option keys are server defaults.
DATADOG_MANAGED_OPTIONS: Final = (
    "thresholds",
    "evaluation_delay",
    "notify_no_data",
    "require_full_window",
    "include_tags",
    "renotify_interval",
)
#: ``put_metric_alarm`` arguments that lambda-monitors owns. ``describe_alarms`` returns all of them
#: except ``Tags``, which come from ``list_tags_for_resource``.
CLOUDWATCH_MANAGED_FIELDS: Final = (
    "AlarmDescription",
    "ActionsEnabled",
    "OKActions",
    "AlarmActions",
    "InsufficientDataActions",
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Dimensions",
    "Period",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "EvaluateLowSampleCountPercentile",
    "Metrics",
    "Tags",
)
#: The plain statistics; anything else (``p99``, ``tm90``...) goes in ``ExtendedStatistic``.
CLOUDWATCH_STATISTICS: Final = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")


@dataclass(frozen=True, kw_only=True)
class DatadogMonitor:
    """A Datadog metric monitor.

    ``type`` is ``"query alert"`` because that is what Datadog stores and returns for metric queries
    (a monitor created as ``"metric alert"`` would read back differently and never stop diffing).
    """

    key: str
    name: str
    query: str
    message: str
    tags: tuple[str, ...]
    critical: float
    warning: float | None = None
    type: str = "query alert"
    evaluation_delay: int | None = None
    notify_no_data: bool = False
    require_full_window: bool = False
    include_tags: bool = True
    renotify_interval: int | None = None
    priority: int | None = None

    def payload(self) -> dict[str, Any]:
        """The body of ``POST /api/v1/monitor``, as a fresh dict."""
        thresholds: dict[str, float] = {"critical": self.critical}
        if self.warning is not None:
            thresholds["warning"] = self.warning
        options: dict[str, Any] = {"thresholds": thresholds}
        if self.evaluation_delay is not None:
            options["evaluation_delay"] = self.evaluation_delay
        options["notify_no_data"] = self.notify_no_data
        options["require_full_window"] = self.require_full_window
        options["include_tags"] = self.include_tags
        if self.renotify_interval is not None:
            options["renotify_interval"] = self.renotify_interval
        body: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "query": self.query,
            "message": self.message,
            "tags": list(self.tags),
            "options": options,
        }
        if self.priority is not None:
            body["priority"] = self.priority
        return body

    to_payload = payload


@dataclass(frozen=True, kw_only=True)
class MetricStat:
    """A CloudWatch metric with the statistic and period to read it at."""

    namespace: str
    metric_name: str
    dimensions: tuple[tuple[str, str], ...]
    stat: str
    period: int

    def payload(self) -> dict[str, Any]:
        """The ``MetricStat`` structure of a ``MetricDataQuery``."""
        return {
            "Metric": {
                "Namespace": self.namespace,
                "MetricName": self.metric_name,
                "Dimensions": [{"Name": name, "Value": value} for name, value in self.dimensions],
            },
            "Period": self.period,
            "Stat": self.stat,
        }


@dataclass(frozen=True, kw_only=True)
class MetricQuery:
    """One entry of a metric math alarm's ``Metrics``: a metric or an expression over other ids."""

    id: str
    metric: MetricStat | None = None
    expression: str | None = None
    label: str | None = None
    return_data: bool = False

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Id": self.id}
        if self.metric is not None:
            out["MetricStat"] = self.metric.payload()
        if self.expression is not None:
            out["Expression"] = self.expression
        if self.label is not None:
            out["Label"] = self.label
        out["ReturnData"] = self.return_data
        return out


@dataclass(frozen=True, kw_only=True)
class CloudWatchAlarm:
    """A CloudWatch metric alarm: on one metric (``metric``) or on metric math (``metrics``)."""

    key: str
    alarm_name: str
    description: str
    threshold: float
    comparison_operator: str
    metric: MetricStat | None = None
    metrics: tuple[MetricQuery, ...] = ()
    evaluation_periods: int = 1
    datapoints_to_alarm: int = 1
    treat_missing_data: str = "notBreaching"
    evaluate_low_sample_count_percentile: str | None = None
    actions_enabled: bool = True
    alarm_actions: tuple[str, ...] = ()
    ok_actions: tuple[str, ...] = ()
    insufficient_data_actions: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()

    def payload(self) -> dict[str, Any]:
        """The keyword arguments of ``put_metric_alarm``, as a fresh dict."""
        out: dict[str, Any] = {
            "AlarmName": self.alarm_name,
            "AlarmDescription": self.description,
            "ActionsEnabled": self.actions_enabled,
            "OKActions": list(self.ok_actions),
            "AlarmActions": list(self.alarm_actions),
            "InsufficientDataActions": list(self.insufficient_data_actions),
        }
        if self.metric is not None:
            out["MetricName"] = self.metric.metric_name
            out["Namespace"] = self.metric.namespace
            if self.metric.stat in CLOUDWATCH_STATISTICS:
                out["Statistic"] = self.metric.stat
            else:
                out["ExtendedStatistic"] = self.metric.stat
            out["Dimensions"] = [{"Name": name, "Value": value} for name, value in self.metric.dimensions]
            out["Period"] = self.metric.period
        if self.metrics:
            out["Metrics"] = [query.payload() for query in self.metrics]
        out["EvaluationPeriods"] = self.evaluation_periods
        out["DatapointsToAlarm"] = self.datapoints_to_alarm
        out["Threshold"] = float(self.threshold)
        out["ComparisonOperator"] = self.comparison_operator
        out["TreatMissingData"] = self.treat_missing_data
        if self.evaluate_low_sample_count_percentile is not None:
            out["EvaluateLowSampleCountPercentile"] = self.evaluate_low_sample_count_percentile
        out["Tags"] = [{"Key": key, "Value": value} for key, value in self.tags]
        return out

    to_payload = payload

    @property
    def name(self) -> str:
        """Same as :attr:`alarm_name`, so both object kinds answer ``.name``."""
        return self.alarm_name


@dataclass(frozen=True, kw_only=True)
class DesiredState:
    """Everything one config wants to exist, per backend, in a stable order."""

    #: ``(attribute, JSON section name)`` pairs; new object kinds are added here.
    SECTIONS: ClassVar[tuple[str, ...]] = (
        "datadog_monitors",
        "cloudwatch_alarms",
        "datadog_dashboards",
        "cloudwatch_dashboards",
    )

    service: str
    datadog_monitors: tuple[DatadogMonitor, ...] = ()
    cloudwatch_alarms: tuple[CloudWatchAlarm, ...] = ()
    datadog_dashboards: tuple[DatadogDashboard, ...] = ()
    cloudwatch_dashboards: tuple[CloudWatchDashboard, ...] = ()
    alarm_name_prefix: str = ""
    region: str | None = None

    def to_json_dict(self) -> dict[str, Any]:
        """The ``render --json`` object: ``{section: [{"key": ..., "payload": {...}}]}``."""
        out: dict[str, Any] = {}
        for section in self.SECTIONS:
            objects: tuple[DatadogMonitor | CloudWatchAlarm | DatadogDashboard | CloudWatchDashboard, ...]
            objects = getattr(self, section)
            out[section] = [{"key": obj.key, "payload": obj.payload()} for obj in objects]
        return out

    def keys(self) -> list[str]:
        """Every identity key, section by section (the same key appears once per backend)."""
        return [obj.key for section in self.SECTIONS for obj in getattr(self, section)]

"""Custom monitors: thresholds on the metrics a service declares in its catalogue.

::

    catalog: examples.screen_resize.metrics
    custom:
      - name: Resize failures
        metric: screen_resize.failures        # must be declared in the catalogue
        rate_of: screen_resize.images         # optional: failures / images (both counts)
        by: [format]                          # declared tag keys of both metrics
        critical: 0.05
        warning: 0.02                         # optional, Datadog only
        window: 15m                           # minutes or hours: 5m, 15m, 1h (at most 24h)

Optional keys: ``key`` (the identity key's last part; default: the name in lowercase with ``-``),
``op`` (``>``, ``>=``, ``<``, ``<=``; default ``>=`` for a plain count, ``>`` otherwise), ``stat``
(gauges ``avg``/``max``/``min``, histograms also ``p50``/``p95``/``p99``; default ``avg``),
``tags``, ``notify``, ``runbook``, ``datadog: false``, ``cloudwatch: false``.

Each entry renders with the key ``custom/<key>``:

==============  ==================================================  ===========================================
metric type     Datadog query                                       CloudWatch alarm (EMF, ``cloudwatch.emf``)
==============  ==================================================  ===========================================
count           ``sum(last_15m):sum:m{env:prod} by {k}.as_count()``  ``Sum`` of ``m`` in ``cloudwatch.namespace``
count, rate_of  ``.. sum:m{..}.as_count() / sum:d{..}.as_count()``   metric math ``m / total`` of two ``Sum``
gauge           ``avg(last_15m):avg:m{env:prod} by {k}``              ``Average`` / ``Maximum`` / ``Minimum``
histogram       ``avg(last_15m):p95:m{env:prod} by {k}``              ``Average`` / ``Maximum`` / ``p95``...
==============  ==================================================  ===========================================

Histograms are queried as Datadog distributions (what the Lambda extension and the Forwarder make
of them: ``avg:``, ``max:``, ``p95:``; percentiles need "percentile aggregations" switched on for
the metric). The Datadog scope is ``env:<env>`` (the runtime's ``DD_ENV`` tag) or ``*``.

CloudWatch alarms exist only when the handlers write EMF (``cloudwatch: {emf: true}``; namespace
``cloudwatch.namespace``, default ``LambdaMetrics`` like ``LAMBDA_METRICS_NAMESPACE``). EMF publishes
every metric twice: without dimensions and with the declared tag keys. A CloudWatch alarm cannot
group by a dimension the way a Datadog multi-alert does, so the alarm watches the dimensionless
metric: ``by:`` applies to Datadog only, and the CloudWatch alarm judges all values together.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from monitors._schema import (
    INVALID,
    Boolean,
    Choice,
    Context,
    Invalid,
    ListOf,
    Number,
    Path,
    Record,
    Spec,
    String,
)
from monitors.catalog import Catalog, MetricInfo
from monitors.model import CloudWatchAlarm, DatadogMonitor, MetricQuery, MetricStat
from monitors.ownership import MANAGED_BY_TAG, cloudwatch_tags, key_tag, service_tag

if TYPE_CHECKING:
    from monitors.config import Config

__all__ = [
    "DEFAULT_NAMESPACE",
    "CustomMonitor",
    "check_custom",
    "custom_key",
    "custom_spec",
    "emits_emf",
    "expand_custom",
]

DEFAULT_NAMESPACE: Final = "LambdaMetrics"
MAX_WINDOW_MIN: Final = 1440
_OPERATORS: Final = (">", ">=", "<", "<=")
_CW_OPERATOR: Final = {
    ">": "GreaterThanThreshold",
    ">=": "GreaterThanOrEqualToThreshold",
    "<": "LessThanThreshold",
    "<=": "LessThanOrEqualToThreshold",
}
_STATS: Final = {
    "gauge": ("avg", "max", "min"),
    "histogram": ("avg", "max", "min", "p50", "p95", "p99"),
}
_CW_STATS: Final = {"avg": "Average", "max": "Maximum", "min": "Minimum", "p50": "p50", "p95": "p95", "p99": "p99"}
_KEY = r"[a-z0-9][a-z0-9_.\-]*"


@dataclass(frozen=True, kw_only=True)
class CustomMonitor:
    """One ``custom:`` entry, as written (checked against the catalogue by :func:`check_custom`)."""

    name: str
    metric: str
    critical: float
    rate_of: str | None = None
    by: tuple[str, ...] = ()
    warning: float | None = None
    op: str | None = None
    stat: str | None = None
    window_min: int = 15
    key: str | None = None
    tags: tuple[str, ...] = ()
    notify: tuple[str, ...] = ()
    runbook: str | None = None
    datadog: bool = True
    cloudwatch: bool = True

    @property
    def identity(self) -> str:
        """The identity key: ``custom/<key or slug of the name>``."""
        return custom_key(self.key or self.name)

    def operator(self, metric_type: str) -> str:
        """The comparison in force: ``op``, else ``>=`` for a plain count and ``>`` otherwise."""
        if self.op is not None:
            return self.op
        return ">=" if metric_type == "count" and self.rate_of is None else ">"

    def to_dict(self) -> dict[str, Any]:
        """The entry in the file's own shape."""
        out: dict[str, Any] = {"name": self.name}
        if self.key is not None:
            out["key"] = self.key
        out["metric"] = self.metric
        for attr in ("rate_of", "op", "stat"):
            if getattr(self, attr) is not None:
                out[attr] = getattr(self, attr)
        if self.by:
            out["by"] = list(self.by)
        out["critical"] = self.critical
        if self.warning is not None:
            out["warning"] = self.warning
        out["window"] = _format_window(self.window_min)
        for attr in ("tags", "notify"):
            if getattr(self, attr):
                out[attr] = list(getattr(self, attr))
        if self.runbook is not None:
            out["runbook"] = self.runbook
        for attr in ("datadog", "cloudwatch"):
            if not getattr(self, attr):
                out[attr] = False
        return out


def custom_key(text: str) -> str:
    """``"Resize failures"`` -> ``custom/resize-failures`` (lowercase: keys travel in Datadog tags)."""
    slug = re.sub(r"[^a-z0-9_.]+", "-", text.lower()).strip("-") or "monitor"
    return f"custom/{slug}"


def _format_window(minutes: int) -> str:
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


class _Window(Spec[int]):
    """``15m``, ``1h``, or a whole number of minutes; 1 minute to 24 hours."""

    description = "a window such as '5m', '15m' or '1h' (1 minute to 24 hours)"

    def parse(self, value: object, path: Path, ctx: Context) -> int | Invalid:
        minutes: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            minutes = value
        elif isinstance(value, str):
            match = re.fullmatch(r"(\d+)\s*(m|min|h)", value.strip())
            if match:
                minutes = int(match.group(1)) * (60 if match.group(2) == "h" else 1)
        if minutes is None or not 1 <= minutes <= MAX_WINDOW_MIN:
            return self.expected(value, path, ctx)
        return minutes


_METRIC_NAME = String(
    pattern=r"[A-Za-z][A-Za-z0-9_.]*",
    max_length=200,
    what="a declared metric name such as 'screen_resize.failures'",
)
_THRESHOLD = Number(what="a number")


def _build(values: dict[str, Any]) -> CustomMonitor:
    if "window" in values:
        values["window_min"] = values.pop("window")
    return CustomMonitor(**values)


def _entry_spec(tags: Spec[Any], notify: Spec[Any], runbook: Spec[Any]) -> Record[CustomMonitor]:
    return Record(
        {
            "name": String(max_length=200, pattern=r"[^\x00-\x1f]+", what="a monitor title"),
            "key": String(pattern=_KEY, max_length=100, what="a lowercase key (a-z, 0-9, '_', '.', '-')"),
            "metric": _METRIC_NAME,
            "rate_of": _METRIC_NAME,
            "by": ListOf(String(pattern=r"[a-z0-9_\-./]+", what="a declared tag key"), unique=True),
            "critical": _THRESHOLD,
            "warning": _THRESHOLD,
            "op": Choice(_OPERATORS),
            "stat": Choice(_CW_STATS),
            "window": _Window(),
            "tags": tags,
            "notify": notify,
            "runbook": runbook,
            "datadog": Boolean(),
            "cloudwatch": Boolean(),
        },
        required=("name", "metric", "critical"),
        build=_build,
        what="a custom monitor mapping with at least 'name', 'metric' and 'critical'",
    )


class _CustomList(ListOf[CustomMonitor]):
    """The ``custom:`` list; identity keys must be unique."""

    def parse(self, value: object, path: Path, ctx: Context) -> tuple[CustomMonitor, ...] | Invalid:
        parsed = super().parse(value, path, ctx)
        if isinstance(parsed, Invalid):
            return parsed
        seen: dict[str, int] = {}
        ok = True
        for index, entry in enumerate(parsed):
            if entry.identity in seen:
                where = "key" if entry.key is not None else "name"
                ctx.error(
                    (*path, index, where),
                    f"identity key '{entry.identity}' is already used by custom[{seen[entry.identity]}]; "
                    "give one of them a distinct 'key'",
                )
                ok = False
            seen.setdefault(entry.identity, index)
        return parsed if ok else INVALID


def custom_spec(tags: Spec[Any], notify: Spec[Any], runbook: Spec[Any]) -> Spec[tuple[CustomMonitor, ...]]:
    """The ``custom:`` spec, sharing the config's tag, notify and runbook specs."""
    return _CustomList(_entry_spec(tags, notify, runbook))


# ------------------------------------------------------------------------------- catalogue checks


def _unknown(name: str, catalog: Catalog) -> str:
    message = f"metric '{name}' is not declared in the catalogue '{catalog.source}'"
    close = difflib.get_close_matches(name, list(catalog), n=1)
    if close:
        return message + f" (did you mean '{close[0]}'?)"
    return message + f"; declared: {', '.join(catalog)}"


def check_custom(
    custom: Sequence[CustomMonitor], catalog: Catalog | None, ctx: Context, path: Path = ("custom",)
) -> None:
    """Report every reference to an undeclared metric or tag key, and every type mismatch."""
    for index, entry in enumerate(custom):
        here: Path = (*path, index)
        if catalog is None:
            ctx.error((*here, "metric"), "custom monitors refer to declared metrics: add 'catalog:' to the file")
            continue
        metric = catalog.get(entry.metric)
        if metric is None:
            ctx.error((*here, "metric"), _unknown(entry.metric, catalog))
            continue
        if metric.type == "check":
            ctx.error(
                (*here, "metric"),
                f"'{metric.name}' is a check; custom monitors watch counts, gauges and histograms",
            )
            continue
        denominator: MetricInfo | None = None
        if entry.rate_of is not None:
            denominator = catalog.get(entry.rate_of)
            if denominator is None:
                ctx.error((*here, "rate_of"), _unknown(entry.rate_of, catalog))
            elif metric.type != "count" or denominator.type != "count":
                which, bad = ("metric", metric) if metric.type != "count" else ("rate_of", denominator)
                ctx.error(
                    (*here, which),
                    f"a rate divides two counts, but '{bad.name}' is a {bad.type}; "
                    "watch a gauge or histogram directly, without 'rate_of'",
                )
        for position, key in enumerate(entry.by):
            for info in (metric, denominator):
                if info is not None and key not in info.tag_keys:
                    declared = ", ".join(info.tag_keys) or "none"
                    ctx.error(
                        (*here, "by", position),
                        f"tag key '{key}' is not declared on '{info.name}' (declared: {declared})",
                    )
        if entry.stat is not None and entry.stat not in _STATS.get(metric.type, ()):
            allowed = ", ".join(_STATS.get(metric.type, ())) or "none (a count is summed)"
            ctx.error((*here, "stat"), f"'{metric.name}' is a {metric.type}; allowed stat: {allowed}")
        if entry.warning is not None:
            op = entry.operator(metric.type)
            above = op.startswith(">")
            if (above and not entry.warning < entry.critical) or (not above and not entry.warning > entry.critical):
                side = "below" if above else "above"
                ctx.error(
                    (*here, "warning"),
                    f"warning threshold {entry.warning:g} must be {side} the critical threshold "
                    f"{entry.critical:g} for '{op}'",
                )


# ----------------------------------------------------------------------------------------- render


def _number(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _as_number(value: float) -> float:
    text = _number(value)
    return int(text) if "." not in text else float(text)


def _tags(config: Config, entry: CustomMonitor) -> tuple[str, ...]:
    tags = [MANAGED_BY_TAG, service_tag(config.service), key_tag(entry.identity), f"service:{config.service}"]
    if config.env is not None:
        tags.append(f"env:{config.env}")
    return tuple(tags + [t for t in (*config.tags, *entry.tags) if t not in tags])


def _datadog_query(config: Config, entry: CustomMonitor, metric: MetricInfo) -> str:
    scope = f"env:{config.env}" if config.env is not None else "*"
    by = f" by {{{','.join(entry.by)}}}" if entry.by else ""
    window = f"last_{entry.window_min}m"
    op = entry.operator(metric.type)
    threshold = _number(entry.critical)
    if metric.type == "count":
        expression = f"sum:{metric.name}{{{scope}}}{by}.as_count()"
        if entry.rate_of is not None:
            expression += f" / sum:{entry.rate_of}{{{scope}}}{by}.as_count()"
        return f"sum({window}):{expression} {op} {threshold}"
    stat = entry.stat or "avg"
    time_aggregation = stat if stat in ("avg", "max", "min") else "avg"
    return f"{time_aggregation}({window}):{stat}:{metric.name}{{{scope}}}{by} {op} {threshold}"


def _describe(entry: CustomMonitor, metric: MetricInfo) -> str:
    what = f"{metric.name} / {entry.rate_of}" if entry.rate_of else metric.name
    if metric.type != "count":
        what = f"{entry.stat or 'avg'} of {what}"
    unit = f" {metric.unit}" if metric.unit and not entry.rate_of else ""
    return f"{what} {entry.operator(metric.type)} {_number(entry.critical)}{unit} over {entry.window_min} min"


def _message(config: Config, entry: CustomMonitor, metric: MetricInfo) -> str:
    subject = f"{config.service}" + (f" ({config.env})" if config.env else "") + f": {entry.name}"
    lines = [f"{{{{#is_alert}}}}{subject}: {_describe(entry, metric)} (value: {{{{value}}}}).{{{{/is_alert}}}}"]
    if entry.warning is not None:
        lines.append(
            f"{{{{#is_warning}}}}{subject}: warning threshold {_number(entry.warning)} reached "
            f"(value: {{{{value}}}}).{{{{/is_warning}}}}"
        )
    lines.append(f"{{{{#is_recovery}}}}{subject} is back to normal.{{{{/is_recovery}}}}")
    if metric.description:
        lines += ["", f"{metric.name}: {metric.description}"]
    if entry.runbook:
        lines += ["", f"Runbook: {entry.runbook}"]
    lines += [
        "",
        f"Managed by lambda-monitors (service {config.service}, key {entry.identity}); "
        "change the config file, not this monitor.",
    ]
    notify = [*config.notify, *(n for n in entry.notify if n not in config.notify)]
    if notify:
        lines += ["", " ".join(notify)]
    return "\n".join(lines)


def _datadog(config: Config, entry: CustomMonitor, metric: MetricInfo) -> DatadogMonitor:
    assert config.datadog is not False
    env = f"/{config.env}" if config.env is not None else ""
    return DatadogMonitor(
        key=entry.identity,
        name=f"[{config.service}{env}] {entry.name}",
        query=_datadog_query(config, entry, metric),
        message=_message(config, entry, metric),
        tags=_tags(config, entry),
        critical=_as_number(entry.critical),
        warning=None if entry.warning is None else _as_number(entry.warning),
        renotify_interval=config.datadog.renotify_interval_min,
        priority=config.datadog.priority,
    )


def _cloudwatch(config: Config, entry: CustomMonitor, metric: MetricInfo) -> CloudWatchAlarm:
    settings = config.cloudwatch
    assert settings is not False
    namespace = settings.namespace
    period = entry.window_min * 60

    def stat(name: str, statistic: str) -> MetricStat:
        return MetricStat(namespace=namespace, metric_name=name, dimensions=(), stat=statistic, period=period)

    metrics: tuple[MetricQuery, ...] = ()
    single: MetricStat | None = None
    if metric.type == "count" and entry.rate_of is not None:
        metrics = (
            MetricQuery(id="m", metric=stat(metric.name, "Sum")),
            MetricQuery(id="total", metric=stat(entry.rate_of, "Sum")),
            MetricQuery(id="rate", expression="m / total", label=f"{metric.name} / {entry.rate_of}", return_data=True),
        )
    elif metric.type == "count":
        single = stat(metric.name, "Sum")
    else:
        single = stat(metric.name, _CW_STATS[entry.stat or "avg"])
    description = f"{config.service}: {entry.name}: {_describe(entry, metric)}."
    if entry.by:
        description += f" All {', '.join(entry.by)} values together (Datadog alerts per value)."
    if entry.runbook:
        description += f" Runbook: {entry.runbook}"
    description += (
        f" Managed by lambda-monitors (service {config.service}, key {entry.identity}); change the config file."
    )
    return CloudWatchAlarm(
        key=entry.identity,
        alarm_name=config.alarm_name_prefix + entry.identity,
        description=description,
        threshold=_as_number(entry.critical),
        comparison_operator=_CW_OPERATOR[entry.operator(metric.type)],
        metric=single,
        metrics=metrics,
        treat_missing_data=settings.treat_missing_data,
        evaluate_low_sample_count_percentile="ignore" if single is not None and single.stat.startswith("p") else None,
        alarm_actions=settings.alarm_actions,
        ok_actions=settings.ok_actions,
        insufficient_data_actions=settings.insufficient_data_actions,
        tags=cloudwatch_tags(_tags(config, entry)),
    )


def emits_emf(config: Config) -> bool:
    """Whether the config says the handlers write EMF (so CloudWatch can watch custom metrics)."""
    return config.cloudwatch is not False and config.cloudwatch.emf


def expand_custom(
    config: Config, catalog: Mapping[str, MetricInfo]
) -> tuple[list[DatadogMonitor], list[CloudWatchAlarm]]:
    """Datadog monitors and CloudWatch alarms for the config's ``custom:`` entries, in file order.

    The config must have been validated (:func:`check_custom`): every metric is in ``catalog``.
    """
    monitors: list[DatadogMonitor] = []
    alarms: list[CloudWatchAlarm] = []
    for entry in config.custom:
        metric = catalog[entry.metric]
        if entry.datadog and config.datadog is not False:
            monitors.append(_datadog(config, entry, metric))
        if entry.cloudwatch and emits_emf(config):
            alarms.append(_cloudwatch(config, entry, metric))
    return monitors, alarms

"""The recommended monitors for a Lambda function, on Datadog and CloudWatch.

Each function expands into up to five items, with the same key on both backends:

==================  ==========================================  ============================================
key suffix          Datadog (AWS integration, ``aws.lambda.*``)  CloudWatch (``AWS/Lambda``, ``FunctionName``)
==================  ==========================================  ============================================
duration-p99        avg of ``aws.lambda.duration.p99`` > ms      ``Duration`` ``p99`` > ms
duration-timeout    max of ``aws.lambda.duration.maximum`` > ms  ``Duration`` ``Maximum`` > ms
errors-count        sum of ``aws.lambda.errors`` >= count        ``Errors`` ``Sum`` >= count
errors-rate         100 * errors / invocations > pct             metric math ``100 * errors / invocations``
throttles           sum of ``aws.lambda.throttles`` >= count     ``Throttles`` ``Sum`` >= count
==================  ==========================================  ============================================

Units: CloudWatch's ``Duration`` and Datadog's ``aws.lambda.duration.*`` are both milliseconds
(Datadog's Lambda integration metric list: "shown as millisecond"); errors, invocations and
throttles are counts, read with ``.as_count()`` so ``sum(last_Nm)`` adds the window's counts.
The timeout item's threshold is ``timeout_s * 1000 * timeout_pct / 100`` milliseconds.

Both backends judge the same window: CloudWatch uses one period of ``window_min`` minutes
(``EvaluationPeriods = DatapointsToAlarm = 1``) and Datadog ``last_<window_min>m``, so "5 errors in
15 minutes" means the same thing in both places. The error rate on Datadog divides two
``.as_count()`` series, which Datadog evaluates as sum(errors) / sum(invocations) over the window
(Datadog, "as_count() in Monitor Evaluations"). CloudWatch alarms have no warning level, so warning
thresholds apply to Datadog only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from monitors.config import Config, ResolvedFunction, ResolvedItem, resolve_function, validate_config
from monitors.errors import ConfigErrors
from monitors.model import CloudWatchAlarm, DatadogMonitor, DesiredState, MetricQuery, MetricStat
from monitors.ownership import MANAGED_BY_TAG, cloudwatch_tags, key_tag, service_tag

__all__ = ["NAMESPACE", "expand", "format_number", "item_key"]

NAMESPACE: Final = "AWS/Lambda"
_CW_OPERATOR: Final = {">": "GreaterThanThreshold", ">=": "GreaterThanOrEqualToThreshold"}


def item_key(function_name: str, item: str) -> str:
    """``("Screen-Resize", "errors-rate")`` -> ``screen-resize/errors-rate``.

    Keys are lowercase because they travel in a Datadog tag, and Datadog lowercases tags; a key with
    capitals would read back different from what was written.
    """
    return f"{function_name.lower()}/{item}"


def format_number(value: float) -> str:
    """A threshold as written in a query: ``5000``, ``0.5`` (never ``5000.0`` or ``5e-05``)."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _num(value: float) -> float:
    """The threshold exactly as the query states it, so ``options.thresholds`` equals the query."""
    text = format_number(value)
    return int(text) if "." not in text else float(text)


@dataclass(frozen=True)
class _Item:
    """How one item reads on both backends (everything but the numbers)."""

    title: str
    unit: str
    comparator: str  # ">" or ">="
    dd_query: str  # with {window}, {scope} and {threshold}
    cw_metric: str | None  # None for the metric math error rate
    cw_stat: str


_ITEMS: Final = {
    "duration-p99": _Item(
        "p99 duration",
        "ms",
        ">",
        "avg(last_{window}m):avg:aws.lambda.duration.p99{{{scope}}} > {threshold}",
        "Duration",
        "p99",
    ),
    "duration-timeout": _Item(
        "maximum duration",
        "ms",
        ">",
        "max(last_{window}m):max:aws.lambda.duration.maximum{{{scope}}} > {threshold}",
        "Duration",
        "Maximum",
    ),
    "errors-count": _Item(
        "errors",
        "errors",
        ">=",
        "sum(last_{window}m):sum:aws.lambda.errors{{{scope}}}.as_count() >= {threshold}",
        "Errors",
        "Sum",
    ),
    "errors-rate": _Item(
        "error rate",
        "%",
        ">",
        "sum(last_{window}m):100 * sum:aws.lambda.errors{{{scope}}}.as_count()"
        " / sum:aws.lambda.invocations{{{scope}}}.as_count() > {threshold}",
        None,
        "Sum",
    ),
    "throttles": _Item(
        "throttles",
        "throttles",
        ">=",
        "sum(last_{window}m):sum:aws.lambda.throttles{{{scope}}}.as_count() >= {threshold}",
        "Throttles",
        "Sum",
    ),
}


def _threshold(fn: ResolvedFunction, item: str, value: float) -> float:
    if item == "duration-timeout":
        return _num(fn.timeout_s * 1000 * value / 100)
    return _num(value)


def _condition(spec: _Item, threshold: float, window: int) -> str:
    verb = "at or above" if spec.comparator == ">=" else "above"
    unit = "%" if spec.unit == "%" else f" {spec.unit}"
    return f"{spec.title} {verb} {format_number(threshold)}{unit} over {window} min"


def _tags(config: Config, fn: ResolvedFunction, key: str) -> tuple[str, ...]:
    tags = [MANAGED_BY_TAG, service_tag(config.service), key_tag(key), f"service:{config.service}"]
    if config.env is not None:
        tags.append(f"env:{config.env}")
    return tuple(tags + [t for t in fn.tags if t not in tags])


def _message(config: Config, fn: ResolvedFunction, key: str, spec: _Item, item: ResolvedItem) -> str:
    critical = _threshold(fn, key.rsplit("/", 1)[1], item.critical)
    subject = f"Lambda function {fn.name}"
    if config.env is not None:
        subject += f" ({config.env})"
    unit = {"ms": " ms", "%": "%"}.get(spec.unit, "")
    lines = [
        f"{{{{#is_alert}}}}{subject}: {_condition(spec, critical, item.window_min)} "
        f"(value: {{{{value}}}}{unit}).{{{{/is_alert}}}}",
    ]
    if item.warning is not None:
        warning = _threshold(fn, key.rsplit("/", 1)[1], item.warning)
        lines.append(
            f"{{{{#is_warning}}}}{subject}: {_condition(spec, warning, item.window_min)} "
            f"(value: {{{{value}}}}{unit}).{{{{/is_warning}}}}"
        )
    lines.append(f"{{{{#is_recovery}}}}{subject}: {spec.title} is back to normal.{{{{/is_recovery}}}}")
    if fn.runbook:
        lines += ["", f"Runbook: {fn.runbook}"]
    lines += [
        "",
        f"Managed by lambda-monitors (service {config.service}, key {key}); change the config file, not this monitor.",
    ]
    if fn.notify:
        lines += ["", " ".join(fn.notify)]
    return "\n".join(lines)


def _datadog(config: Config, fn: ResolvedFunction, name: str, item: ResolvedItem) -> DatadogMonitor:
    assert config.datadog is not False
    spec = _ITEMS[name]
    key = item_key(fn.name, name)
    scope = f"functionname:{fn.name.lower()}"
    if config.env is not None:
        scope += f",env:{config.env}"
    critical = _threshold(fn, name, item.critical)
    warning = None if item.warning is None else _threshold(fn, name, item.warning)
    env = f"/{config.env}" if config.env is not None else ""
    return DatadogMonitor(
        key=key,
        name=f"[{config.service}{env}] {fn.name}: {spec.title}",
        query=spec.dd_query.format(window=item.window_min, scope=scope, threshold=format_number(critical)),
        message=_message(config, fn, key, spec, item),
        tags=_tags(config, fn, key),
        critical=critical,
        warning=warning,
        evaluation_delay=config.datadog.evaluation_delay_s,
        renotify_interval=config.datadog.renotify_interval_min,
        priority=config.datadog.priority,
    )


def _cloudwatch(config: Config, fn: ResolvedFunction, name: str, item: ResolvedItem) -> CloudWatchAlarm:
    assert config.cloudwatch is not False
    settings = config.cloudwatch
    spec = _ITEMS[name]
    key = item_key(fn.name, name)
    period = item.window_min * 60
    critical = _threshold(fn, name, item.critical)
    dimensions = (("FunctionName", fn.name),)

    def stat(metric: str, statistic: str) -> MetricStat:
        return MetricStat(namespace=NAMESPACE, metric_name=metric, dimensions=dimensions, stat=statistic, period=period)

    description = f"Lambda function {fn.name}: {_condition(spec, critical, item.window_min)}."
    if fn.runbook:
        description += f" Runbook: {fn.runbook}"
    description += f" Managed by lambda-monitors (service {config.service}, key {key}); change the config file."
    metric: MetricStat | None = None
    metrics: tuple[MetricQuery, ...] = ()
    if spec.cw_metric is None:
        metrics = (
            MetricQuery(id="errors", metric=stat("Errors", "Sum")),
            MetricQuery(id="invocations", metric=stat("Invocations", "Sum")),
            MetricQuery(
                id="error_rate", expression="100 * errors / invocations", label="Error rate (%)", return_data=True
            ),
        )
    else:
        metric = stat(spec.cw_metric, spec.cw_stat)
    return CloudWatchAlarm(
        key=key,
        alarm_name=config.alarm_name_prefix + key,
        description=description,
        threshold=critical,
        comparison_operator=_CW_OPERATOR[spec.comparator],
        metric=metric,
        metrics=metrics,
        treat_missing_data=settings.treat_missing_data,
        # A p99 of a handful of invocations is just their maximum: keep the state until there are
        # enough samples; the timeout alarm still catches the dangerous slow calls.
        evaluate_low_sample_count_percentile="ignore" if spec.cw_stat.startswith("p") else None,
        alarm_actions=settings.alarm_actions,
        ok_actions=settings.ok_actions,
        insufficient_data_actions=settings.insufficient_data_actions,
        tags=cloudwatch_tags(_tags(config, fn, key)),
    )


def expand(config: Config) -> DesiredState:
    """Every Datadog monitor and CloudWatch alarm the config asks for, in config order.

    Raises :class:`~monitors.errors.ConfigErrors` if the config (for example one built in Python) is
    invalid, so nothing invalid is ever rendered.
    """
    errors = validate_config(config)
    if errors:
        raise ConfigErrors(errors)
    monitors: list[DatadogMonitor] = []
    alarms: list[CloudWatchAlarm] = []
    for function in config.functions:
        fn = resolve_function(config, function)
        for name, item in fn.items.items():
            if fn.datadog:
                monitors.append(_datadog(config, fn, name, item))
            if fn.cloudwatch:
                alarms.append(_cloudwatch(config, fn, name, item))
    return DesiredState(
        service=config.service,
        datadog_monitors=tuple(monitors),
        cloudwatch_alarms=tuple(alarms),
        alarm_name_prefix=config.alarm_name_prefix,
        region=config.cloudwatch.region if config.cloudwatch is not False else None,
    )

"""The monitors config: a reviewed YAML file (or Python objects) describing a team's Lambda functions.

Example (``monitors.yaml``)::

    service: screen-resize
    env: prod
    notify: ["@slack-imaging-alerts"]
    cloudwatch:
      region: us-east-1
      alarm_actions: ["arn:aws:sns:us-east-1:123456789012:imaging-alerts"]
    defaults:
      duration: {p99_ms: 3000, timeout_pct: 80}
      errors: {count: 5, rate_pct: 1}
      throttles: {count: 1}
    functions:
      - name: screen-resize
        timeout_s: 30
        duration: {p99_ms: 5000}
      - name: thumbnail
        timeout_s: 10
        throttles: false

Settings are resolved in three levels, the later winning key by key: the built-in defaults
(:data:`BUILTIN_DEFAULTS`), the file's ``defaults:`` and the function's own keys. A threshold set to
``false`` switches that item off; a whole group (``duration``, ``errors``, ``throttles``) set to
``false`` switches all its items off; ``datadog: false`` / ``cloudwatch: false`` switch a backend off,
for one function or (at the top level) for the whole file.

Count thresholds alert when the count *reaches* the number (``throttles: {count: 1}`` alerts on the
first throttle); duration and rate thresholds alert when the value goes *above* the number. Warning
thresholds (``*_warning*``) must be below their critical threshold.

YAML is loaded with PyYAML's safe composer only (no Python object construction), keeping the line of
every key and value so each error names ``file:line: key.path``. All errors are collected.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any, Final, Literal

from monitors._schema import (
    INVALID,
    Boolean,
    Choice,
    Context,
    Invalid,
    ListOf,
    Number,
    OrFalse,
    Path,
    Record,
    SourceMap,
    Spec,
    String,
)
from monitors.catalog import Catalog, CatalogError, load_catalog
from monitors.custom import DEFAULT_NAMESPACE, CustomMonitor, check_custom, custom_spec
from monitors.dashboards import DashboardSettings, check_dashboard_settings, dashboards_spec
from monitors.errors import ConfigError, ConfigErrors
from monitors.ownership import RESERVED_TAG_KEYS, datadog_tag_problem, default_alarm_prefix, split_tag

__all__ = [
    "BUILTIN_DEFAULTS",
    "ITEMS",
    "CloudWatchSettings",
    "Config",
    "DatadogSettings",
    "DurationSettings",
    "ErrorSettings",
    "FunctionSpec",
    "ItemDef",
    "Overrides",
    "ResolvedFunction",
    "ResolvedItem",
    "ThrottleSettings",
    "config_from_dict",
    "load_config",
    "resolve_function",
    "validate_config",
]

#: A threshold as configured: a number, ``False`` (switched off) or ``None`` (inherit).
Threshold = float | Literal[False] | None

MAX_LAMBDA_TIMEOUT_S: Final = 900
DEFAULT_WINDOW_MIN: Final = 15
MAX_WINDOW_MIN: Final = 1440  # CloudWatch: Period x EvaluationPeriods <= 1 day when Period < 1 h.
TREAT_MISSING_DATA: Final = ("notBreaching", "breaching", "ignore", "missing")


# --------------------------------------------------------------------------------------------- model


@dataclass(frozen=True, kw_only=True)
class DurationSettings:
    """Execution time: p99 in milliseconds, and the maximum as a percentage of the function timeout."""

    p99_ms: Threshold = None
    p99_warning_ms: Threshold = None
    timeout_pct: Threshold = None
    timeout_warning_pct: Threshold = None
    window_min: int | None = None


@dataclass(frozen=True, kw_only=True)
class ErrorSettings:
    """Errors: a count over the window, and a rate in percent of invocations."""

    count: Threshold = None
    count_warning: Threshold = None
    rate_pct: Threshold = None
    rate_warning_pct: Threshold = None
    window_min: int | None = None


@dataclass(frozen=True, kw_only=True)
class ThrottleSettings:
    """Throttled invocations over the window."""

    count: Threshold = None
    count_warning: Threshold = None
    window_min: int | None = None


@dataclass(frozen=True, kw_only=True)
class Overrides:
    """Settings shared by ``defaults:`` and each function; ``None`` means "inherit"."""

    duration: DurationSettings | Literal[False] = DurationSettings()
    errors: ErrorSettings | Literal[False] = ErrorSettings()
    throttles: ThrottleSettings | Literal[False] = ThrottleSettings()
    window_min: int | None = None
    tags: tuple[str, ...] = ()
    notify: tuple[str, ...] = ()
    runbook: str | None = None
    datadog: bool | None = None
    cloudwatch: bool | None = None


@dataclass(frozen=True, kw_only=True)
class FunctionSpec(Overrides):
    """One Lambda function: its name, its configured timeout and its overrides."""

    name: str
    timeout_s: int


@dataclass(frozen=True, kw_only=True)
class DatadogSettings:
    """File-wide Datadog settings.

    ``evaluation_delay_s`` defaults to 900 s: ``aws.lambda.*`` metrics are polled from CloudWatch by
    Datadog's AWS integration every 10 minutes and arrive ~10-20 minutes late (Datadog, "Cloud Metric
    Delay"); evaluating earlier would judge an incomplete window.
    """

    evaluation_delay_s: int = 900
    priority: int | None = None
    renotify_interval_min: int | None = None


@dataclass(frozen=True, kw_only=True)
class CloudWatchSettings:
    """File-wide CloudWatch settings; ``alarm_name_prefix=None`` means ``lambda-monitors-<service>-``."""

    region: str | None = None
    alarm_actions: tuple[str, ...] = ()
    ok_actions: tuple[str, ...] = ()
    insufficient_data_actions: tuple[str, ...] = ()
    alarm_name_prefix: str | None = None
    treat_missing_data: str = "notBreaching"
    #: The handlers write EMF (``LAMBDA_METRICS_FORMAT`` includes ``emf``) into ``namespace``, so
    #: custom monitors get CloudWatch alarms and the CloudWatch dashboard shows custom metrics.
    emf: bool = False
    namespace: str = DEFAULT_NAMESPACE


@dataclass(frozen=True, kw_only=True)
class Config:
    """A whole monitors file. ``source`` names the file in messages (``<python>`` when built in code)."""

    service: str
    functions: tuple[FunctionSpec, ...]
    env: str | None = None
    notify: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    datadog: DatadogSettings | Literal[False] = DatadogSettings()
    cloudwatch: CloudWatchSettings | Literal[False] = CloudWatchSettings()
    defaults: Overrides = Overrides()
    catalog: str | None = None
    custom: tuple[CustomMonitor, ...] = ()
    dashboards: DashboardSettings | Literal[False] = False
    source: str = field(default="<python>", compare=False)
    #: The loaded catalogue (set by loading; a config built in Python may pass a Catalog directly).
    metrics: Catalog | None = field(default=None, compare=False, repr=False)

    @property
    def alarm_name_prefix(self) -> str:
        """The CloudWatch alarm name prefix in force (configured or the default)."""
        if self.cloudwatch is not False and self.cloudwatch.alarm_name_prefix is not None:
            return self.cloudwatch.alarm_name_prefix
        return default_alarm_prefix(self.service)

    def to_dict(self) -> dict[str, Any]:
        """The config in the file's own shape (what :func:`config_from_dict` accepts)."""
        out: dict[str, Any] = {"service": self.service}
        if self.env is not None:
            out["env"] = self.env
        if self.notify:
            out["notify"] = list(self.notify)
        if self.tags:
            out["tags"] = list(self.tags)
        if self.datadog is False or self.datadog != DatadogSettings():
            out["datadog"] = _dataclass_dict(self.datadog)
        if self.cloudwatch is False or self.cloudwatch != CloudWatchSettings():
            out["cloudwatch"] = _dataclass_dict(self.cloudwatch)
        defaults = _dataclass_dict(self.defaults)
        if defaults:
            out["defaults"] = defaults
        out["functions"] = [_function_dict(fn) for fn in self.functions]
        if self.catalog is not None:
            out["catalog"] = self.catalog
        if self.custom:
            out["custom"] = [entry.to_dict() for entry in self.custom]
        if self.dashboards is not False:
            out["dashboards"] = _dataclass_dict(self.dashboards) or True
        return out


def _dataclass_dict(obj: object) -> Any:
    """Non-default fields of a settings dataclass, recursively, tuples as lists; ``False`` stays."""
    if obj is False or not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        return obj
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        if f.name == "source":
            continue
        value = getattr(obj, f.name)
        default = f.default if f.default is not dataclasses.MISSING else None
        if value is None or (value == default and value is not False):
            continue
        if isinstance(value, tuple):
            if not value:
                continue
            value = list(value)
        nested = _dataclass_dict(value)
        if nested == {}:
            continue
        out[f.name] = nested
    return out


def _function_dict(fn: FunctionSpec) -> dict[str, Any]:
    body = _dataclass_dict(fn)
    head = {"name": fn.name, "timeout_s": fn.timeout_s}
    return head | {k: v for k, v in body.items() if k not in head}


# ------------------------------------------------------------------------------------- resolution


@dataclass(frozen=True)
class ItemDef:
    """One Lambda default: its key suffix, the settings group and the threshold fields it reads."""

    name: str
    group: Literal["duration", "errors", "throttles"]
    critical: str
    warning: str


#: The five Lambda defaults, in render order. The key of each object is ``<function>/<name>``.
ITEMS: Final = (
    ItemDef("duration-p99", "duration", "p99_ms", "p99_warning_ms"),
    ItemDef("duration-timeout", "duration", "timeout_pct", "timeout_warning_pct"),
    ItemDef("errors-count", "errors", "count", "count_warning"),
    ItemDef("errors-rate", "errors", "rate_pct", "rate_warning_pct"),
    ItemDef("throttles", "throttles", "count", "count_warning"),
)

#: What every function gets when the file says nothing (the values of the issue's example file).
BUILTIN_DEFAULTS: Final = Overrides(
    duration=DurationSettings(p99_ms=3000, timeout_pct=80),
    errors=ErrorSettings(count=5, rate_pct=1),
    throttles=ThrottleSettings(count=1),
    window_min=DEFAULT_WINDOW_MIN,
    datadog=True,
    cloudwatch=True,
)


@dataclass(frozen=True)
class ResolvedItem:
    """One enabled item after merging the three levels."""

    critical: float
    warning: float | None
    window_min: int


@dataclass(frozen=True)
class ResolvedFunction:
    """A function with every setting decided; ``items`` holds only the enabled items, by name."""

    name: str
    timeout_s: int
    items: Mapping[str, ResolvedItem]
    tags: tuple[str, ...]
    notify: tuple[str, ...]
    runbook: str | None
    datadog: bool
    cloudwatch: bool


@dataclass
class _Pick:
    """A merged value and the config path that set it (for error messages)."""

    value: Any = None
    path: Path | None = None


def _levels(config: Config, index: int) -> list[tuple[Overrides, Path | None]]:
    return [
        (BUILTIN_DEFAULTS, None),
        (config.defaults, ("defaults",)),
        (config.functions[index], ("functions", index)),
    ]


def _resolve_item(levels: list[tuple[Overrides, Path | None]], item: ItemDef) -> tuple[_Pick, _Pick, int]:
    critical, warning, window = _Pick(), _Pick(), DEFAULT_WINDOW_MIN
    for level, base in levels:

        def where(*parts: str, base: Path | None = base) -> Path | None:
            return None if base is None else (*base, *parts)

        if level.window_min is not None:
            window = level.window_min
        group = getattr(level, item.group)
        if group is False:
            critical, warning = _Pick(False, where(item.group)), _Pick()
            continue
        value = getattr(group, item.critical)
        if value is not None:
            critical = _Pick(value, where(item.group, item.critical))
        value = getattr(group, item.warning)
        if value is not None:
            warning = _Pick(value, where(item.group, item.warning))
        if group.window_min is not None:
            window = group.window_min
    return critical, warning, window


def _resolve(config: Config, index: int, ctx: Context | None) -> ResolvedFunction:
    fn = config.functions[index]
    levels = _levels(config, index)
    items: dict[str, ResolvedItem] = {}
    for item in ITEMS:
        critical, warning, window = _resolve_item(levels, item)
        if critical.value is False or critical.value is None:
            if ctx is not None and warning.value not in (None, False) and warning.path is not None:
                ctx.error(
                    warning.path,
                    f"warning threshold set but '{item.critical}' is switched off for function '{fn.name}'; "
                    f"set '{item.warning}: false' too or give a critical threshold",
                )
            continue
        warn = None if warning.value is False else warning.value
        if ctx is not None and warn is not None and warn >= critical.value:
            path = warning.path or critical.path or ("functions", index)
            ctx.error(
                path,
                f"warning threshold {warn:g} must be below the critical threshold {critical.value:g} "
                f"(function '{fn.name}')",
            )
        items[item.name] = ResolvedItem(critical=critical.value, warning=warn, window_min=window)

    def last(attr: str) -> Any:
        return next(getattr(lv, attr) for lv, _ in reversed(levels) if getattr(lv, attr) is not None)

    def joined(attr: str) -> tuple[str, ...]:
        merged: list[str] = []
        for source in (config, config.defaults, fn):
            merged += [v for v in getattr(source, attr) if v not in merged]
        return tuple(merged)

    return ResolvedFunction(
        name=fn.name,
        timeout_s=fn.timeout_s,
        items=items,
        tags=joined("tags"),
        notify=joined("notify"),
        runbook=fn.runbook if fn.runbook is not None else config.defaults.runbook,
        datadog=config.datadog is not False and bool(last("datadog")),
        cloudwatch=config.cloudwatch is not False and bool(last("cloudwatch")),
    )


def resolve_function(config: Config, function: FunctionSpec | str) -> ResolvedFunction:
    """Merge built-in defaults, ``defaults:`` and the function's overrides into final settings.

    Tags and notify handles add up (file, then ``defaults:``, then the function); everything else is
    taken from the most specific level that sets it.
    """
    name = function if isinstance(function, str) else function.name
    for index, fn in enumerate(config.functions):
        if fn.name == name:
            return _resolve(config, index, None)
    raise KeyError(f"no function named {name!r} in the config")


# ----------------------------------------------------------------------------------------- schema

_POSITIVE = Number(minimum=0, exclusive_minimum=True, what="a positive number")
_PERCENT = Number(minimum=0, exclusive_minimum=True, maximum=100, what="a percentage above 0 and at most 100")
_COUNT = Number(minimum=1, integer=True, what="a whole number of at least 1")
_WINDOW = Number(
    minimum=1,
    maximum=MAX_WINDOW_MIN,
    integer=True,
    what=f"a whole number of minutes from 1 to {MAX_WINDOW_MIN}",
)


class _Tag(Spec[str]):
    description = "a Datadog tag such as 'team:imaging'"

    def parse(self, value: object, path: Path, ctx: Context) -> str | Invalid:
        if not isinstance(value, str) or not value:
            return self.expected(value, path, ctx)
        problem = datadog_tag_problem(value)
        if problem:
            return ctx.error(path, f"tag {value!r} {problem}")
        key = split_tag(value)[0]
        if key in RESERVED_TAG_KEYS:
            return ctx.error(
                path,
                f"tag key '{key}' is reserved (lambda-monitors sets it from 'service:'/'env:' and its "
                "ownership marker)",
            )
        return value


_TAGS = ListOf(_Tag(), unique=True)
_NOTIFY = ListOf(
    String(pattern=r"@[^\s@][^\s]*", max_length=200, what="a Datadog notification handle such as '@slack-team'"),
    unique=True,
)
_RUNBOOK = String(pattern=r"https?://\S+", max_length=1000, what="an http(s) URL")
_SLUG = r"[a-z0-9][a-z0-9_.\-]*"


def _group(cls: type[Any], thresholds: Mapping[str, Spec[Any]]) -> Spec[Any]:
    fields: dict[str, Spec[Any]] = {name: OrFalse(spec) for name, spec in thresholds.items()}
    fields["window_min"] = _WINDOW
    return OrFalse(Record(fields, build=lambda values: cls(**values), what=f"a mapping of {', '.join(fields)}"))


_DURATION = _group(
    DurationSettings,
    {
        "p99_ms": _POSITIVE,
        "p99_warning_ms": _POSITIVE,
        "timeout_pct": _PERCENT,
        "timeout_warning_pct": _PERCENT,
    },
)
_ERRORS = _group(
    ErrorSettings,
    {"count": _COUNT, "count_warning": _COUNT, "rate_pct": _PERCENT, "rate_warning_pct": _PERCENT},
)
_THROTTLES = _group(ThrottleSettings, {"count": _COUNT, "count_warning": _COUNT})

_OVERRIDE_FIELDS: dict[str, Spec[Any]] = {
    "duration": _DURATION,
    "errors": _ERRORS,
    "throttles": _THROTTLES,
    "window_min": _WINDOW,
    "tags": _TAGS,
    "notify": _NOTIFY,
    "runbook": _RUNBOOK,
    "datadog": Boolean(),
    "cloudwatch": Boolean(),
}

_FUNCTION = Record(
    {
        "name": String(
            pattern=r"[A-Za-z0-9_\-]+",
            max_length=64,
            what="a Lambda function name (letters, digits, '-' and '_', at most 64 characters)",
        ),
        "timeout_s": Number(
            minimum=1,
            maximum=MAX_LAMBDA_TIMEOUT_S,
            integer=True,
            what=f"the function's timeout in whole seconds, from 1 to {MAX_LAMBDA_TIMEOUT_S}",
        ),
        **_OVERRIDE_FIELDS,
    },
    required=("name", "timeout_s"),
    build=lambda values: FunctionSpec(**values),
    what="a function mapping with at least 'name' and 'timeout_s'",
)


def _check_functions(values: tuple[FunctionSpec, ...], path: Path, ctx: Context) -> None:
    seen: dict[str, int] = {}
    for index, fn in enumerate(values):
        folded = fn.name.lower()
        if folded in seen:
            ctx.error(
                (*path, index, "name"),
                f"function '{fn.name}' is listed twice (functions[{seen[folded]}]); names are compared "
                "ignoring case because Datadog lowercases the functionname tag",
            )
        else:
            seen[folded] = index


class _Functions(ListOf[FunctionSpec]):
    def parse(self, value: object, path: Path, ctx: Context) -> tuple[FunctionSpec, ...] | Invalid:
        parsed = super().parse(value, path, ctx)
        if not isinstance(parsed, Invalid):
            before = len(ctx.errors)
            _check_functions(parsed, path, ctx)
            if len(ctx.errors) > before:
                return INVALID
        return parsed


_ARNS = ListOf(
    String(pattern=r"arn:[^\s]+", max_length=1024, what="an action ARN such as 'arn:aws:sns:...'"),
    unique=True,
    max_items=5,
)

_CLOUDWATCH = OrFalse(
    Record(
        {
            "region": String(pattern=r"[a-z]{2}(-[a-z]+)+-\d+", what="an AWS region such as 'us-east-1'"),
            "alarm_actions": _ARNS,
            "ok_actions": _ARNS,
            "insufficient_data_actions": _ARNS,
            "alarm_name_prefix": String(
                pattern=r"[\x21-\x7e][\x20-\x7e]*",
                max_length=128,
                what="an alarm name prefix of printable ASCII characters, at most 128",
            ),
            "treat_missing_data": Choice(TREAT_MISSING_DATA),
            "emf": Boolean(),
            "namespace": String(
                pattern=r"(?!AWS/)[0-9A-Za-z._\-/#][0-9A-Za-z._\-/#: ]*",
                max_length=255,
                what="a CloudWatch namespace (letters, digits, '.', '-', '_', '/', '#', ':', spaces; not 'AWS/...')",
            ),
        },
        build=lambda values: CloudWatchSettings(**values),
        what="a mapping of CloudWatch settings or false",
    )
)

_DATADOG = OrFalse(
    Record(
        {
            "evaluation_delay_s": Number(
                minimum=0, maximum=86400, integer=True, what="a whole number of seconds from 0 to 86400"
            ),
            "priority": Number(minimum=1, maximum=5, integer=True, what="a priority from 1 to 5"),
            "renotify_interval_min": Number(minimum=0, integer=True, what="a whole number of minutes, 0 or more"),
        },
        build=lambda values: DatadogSettings(**values),
        what="a mapping of Datadog settings or false",
    )
)

#: Top-level keys.
TOP_LEVEL_FIELDS: dict[str, Spec[Any]] = {
    "service": String(
        pattern=_SLUG, max_length=100, what="a lowercase service name (a-z, 0-9, '_', '-', '.'), at most 100"
    ),
    "env": String(pattern=_SLUG, max_length=100, what="a lowercase environment name such as 'prod'"),
    "notify": _NOTIFY,
    "tags": _TAGS,
    "datadog": _DATADOG,
    "cloudwatch": _CLOUDWATCH,
    "defaults": Record(_OVERRIDE_FIELDS, build=lambda values: Overrides(**values), what="a mapping of defaults"),
    "functions": _Functions(_FUNCTION),
    "catalog": String(max_length=1000, what="an importable module (pkg.metrics) or a path to a .py file"),
    "custom": custom_spec(_TAGS, _NOTIFY, _RUNBOOK),
    "dashboards": dashboards_spec(),
}


def _build_config(values: dict[str, Any], source: str) -> Config:
    if values.get("dashboards") is True:
        values["dashboards"] = DashboardSettings()
    return Config(source=source, **values)


def _link_catalog(config: Config, ctx: Context, catalog: Catalog | None) -> Config:
    """Load the ``catalog:`` (unless given) and check ``custom:`` and ``dashboards:`` against it."""
    if catalog is None and config.catalog is not None:
        base = FsPath(ctx.file).parent if ctx.file != "<python>" else None
        try:
            catalog = load_catalog(config.catalog, base)
        except CatalogError as exc:
            ctx.error(("catalog",), exc.reason)
            return config
    check_custom(config.custom, catalog, ctx)
    check_dashboard_settings(config, ctx)
    return dataclasses.replace(config, metrics=catalog)


def _parse(data: object, ctx: Context, catalog: Catalog | None = None) -> Config | Invalid:
    spec = Record(
        TOP_LEVEL_FIELDS,
        required=("service", "functions"),
        build=lambda values: _build_config(values, ctx.file),
        what="a mapping with 'service' and 'functions'",
    )
    config = spec.parse(data, (), ctx)
    if isinstance(config, Invalid):
        return config
    for index in range(len(config.functions)):
        _resolve(config, index, ctx)
    config = _link_catalog(config, ctx, catalog)
    return INVALID if ctx.errors else config


def _raise_if_errors(ctx: Context) -> None:
    if ctx.errors:
        unique = list(dict.fromkeys(ctx.sorted_errors()))
        raise ConfigErrors(unique)


def config_from_dict(data: Mapping[str, Any], file: str = "<python>") -> Config:
    """Validate plain data (the YAML file's shape) into a :class:`Config`.

    Raises :class:`ConfigErrors` listing every problem.
    """
    ctx = Context(file)
    config = _parse(data, ctx)
    _raise_if_errors(ctx)
    assert not isinstance(config, Invalid)
    return config


def validate_config(config: Config) -> list[ConfigError]:
    """Every problem of a config built in Python (the same rules as for a file, without lines)."""
    ctx = Context(config.source)
    _parse(config.to_dict(), ctx, config.metrics)
    return list(dict.fromkeys(ctx.sorted_errors()))


# ------------------------------------------------------------------------------------------- YAML


def _yaml_to_data(text: str, ctx: Context) -> object:
    """Compose YAML safely and convert it to plain data, recording the line of every key and value."""
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
        ctx.errors.append(ConfigError(message, file=ctx.file, line=None if mark is None else mark.line + 1))
        return INVALID
    if root is None:
        ctx.errors.append(ConfigError("the file is empty; expected 'service:' and 'functions:'", file=ctx.file))
        return INVALID

    constructor = yaml.constructor.SafeConstructor()
    source = ctx.source
    active: set[int] = set()

    def convert(node: yaml.Node, path: Path) -> object:
        source.values.setdefault(path, node.start_mark.line + 1)
        if id(node) in active:
            ctx.error(path, "recursive YAML alias")
            return INVALID
        if node.tag not in constructor.yaml_constructors or node.tag is None:
            ctx.error(path, f"unsupported YAML tag {node.tag!r}; only plain YAML values are allowed")
            return INVALID
        if isinstance(node, yaml.MappingNode):
            active.add(id(node))
            explicit = sum(1 for key_node, _ in node.value if key_node.tag != "tag:yaml.org,2002:merge")
            constructor.flatten_mapping(node)
            merged = len(node.value) - explicit  # merged pairs come first; explicit keys override them
            result: dict[object, object] = {}
            explicit_keys: set[object] = set()
            for index, (key_node, value_node) in enumerate(node.value):
                key = constructor.construct_object(key_node, deep=True)
                key_line = key_node.start_mark.line + 1
                key_path = (*path, key if isinstance(key, str) else str(key))
                if not isinstance(key, (str, int, float, bool)) or key is None:
                    ctx.error(key_path, "mapping keys must be plain strings", line=key_line)
                    continue
                if index >= merged and key in explicit_keys:
                    ctx.error(key_path, f"duplicate key {key!r}", line=key_line)
                    continue
                if index >= merged:
                    explicit_keys.add(key)
                source.keys[key_path] = key_line
                result[key] = convert(value_node, key_path)
            active.discard(id(node))
            return result
        if isinstance(node, yaml.SequenceNode):
            active.add(id(node))
            items = [convert(child, (*path, index)) for index, child in enumerate(node.value)]
            active.discard(id(node))
            return items
        return constructor.construct_object(node, deep=True)

    return convert(root, ())


def load_config(path: str | FsPath) -> Config:
    """Load and validate a monitors YAML file.

    Raises :class:`ConfigErrors` for every problem in the file (YAML syntax included, with its line),
    and :class:`ConfigError` if the file cannot be read.
    """
    name = str(path)
    try:
        text = FsPath(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigErrors([ConfigError("file not found", file=name)]) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigErrors([ConfigError(f"cannot read the file: {reason}", file=name)]) from None
    ctx = Context(name, SourceMap())
    data = _yaml_to_data(text, ctx)
    # Keep validating after non-fatal YAML problems (duplicate keys) so every error shows at once.
    config = INVALID if isinstance(data, Invalid) else _parse(data, ctx)
    _raise_if_errors(ctx)
    assert isinstance(config, Config)
    return config

"""Settings resolved from the environment, once (and again on ``reset()``).

``LAMBDA_METRICS_FORMAT``    monitoring (default) | datadog-json | emf, or a comma list to write several
``LAMBDA_METRICS_STRICT``    1/true: raise MetricError on bad input (default: drop, warn once, count)
``LAMBDA_METRICS_BUFFERED``  1/true: aggregate counts and write everything on flush()
``LAMBDA_METRICS_ENABLED``   0/false: write nothing at all
``LAMBDA_METRICS_NAMESPACE`` the CloudWatch namespace of EMF metrics (default LambdaMetrics)
``DD_ENV``, ``DD_SERVICE``, ``DD_VERSION``  become the tags env:, service:, version:
``DD_TAGS``                  more default tags, comma- or space-separated
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

FORMATS = ("monitoring", "datadog-json", "emf")
_TRUE = frozenset(("1", "true", "yes", "on"))
_FALSE = frozenset(("0", "false", "no", "off", ""))


def parse_bool(name: str, raw: str | None, default: bool, problems: list[str]) -> bool:
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    problems.append(f"{name}={raw!r} is not a boolean (use 1/0, true/false); using {int(default)}")
    return default


def parse_formats(raw: str | tuple[str, ...] | list[str] | None, problems: list[str]) -> tuple[str, ...]:
    """``"monitoring,emf"`` -> ``("monitoring", "emf")``; unknown names are reported and skipped."""
    if raw is None:
        return ("monitoring",)
    parts = raw.split(",") if isinstance(raw, str) else list(raw)
    out: list[str] = []
    for part in parts:
        name = part.strip().lower()
        if name in FORMATS:
            if name not in out:
                out.append(name)
        elif name:
            problems.append(f"unknown metric format {part!r}; allowed: {', '.join(FORMATS)}")
    return tuple(out) or ("monitoring",)


_NAMESPACE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/#: ")
NAMESPACE_RULE = (
    "a CloudWatch namespace is 1-255 characters of letters, digits, '.', '_', '-', '/', '#', ':' and space, "
    "not starting with ':' nor with 'AWS/', and not blank"
)


def namespace_problem(namespace: object) -> str | None:
    """Why ``namespace`` is not a valid CloudWatch namespace, or ``None``."""
    if (
        not isinstance(namespace, str)
        or not 0 < len(namespace) <= 255
        or not _NAMESPACE_CHARS.issuperset(namespace)
        or namespace.startswith((":", "AWS/"))
        or not namespace.strip()
    ):
        return NAMESPACE_RULE
    return None


def default_tags_from_env(environ: Mapping[str, str]) -> list[str]:
    tags = [f"{tag}:{environ[var]}" for var, tag in (("DD_ENV", "env"), ("DD_SERVICE", "service"),
                                                    ("DD_VERSION", "version")) if environ.get(var)]
    extra = environ.get("DD_TAGS", "")
    tags.extend(t for t in extra.replace(",", " ").split() if t)
    return tags


class Settings:
    """What the environment asks for; the state applies it."""

    __slots__ = ("buffered", "default_tags", "enabled", "formats", "namespace", "problems", "strict")

    def __init__(self, environ: Mapping[str, str]) -> None:
        problems: list[str] = []
        self.strict = parse_bool("LAMBDA_METRICS_STRICT", environ.get("LAMBDA_METRICS_STRICT"), False, problems)
        self.buffered = parse_bool("LAMBDA_METRICS_BUFFERED", environ.get("LAMBDA_METRICS_BUFFERED"), False, problems)
        self.enabled = parse_bool("LAMBDA_METRICS_ENABLED", environ.get("LAMBDA_METRICS_ENABLED"), True, problems)
        self.formats = parse_formats(environ.get("LAMBDA_METRICS_FORMAT"), problems)
        namespace = environ.get("LAMBDA_METRICS_NAMESPACE") or "LambdaMetrics"
        if namespace_problem(namespace):
            problems.append(f"LAMBDA_METRICS_NAMESPACE={namespace!r}: {NAMESPACE_RULE}; using LambdaMetrics")
            namespace = "LambdaMetrics"
        self.namespace = namespace
        self.default_tags = default_tags_from_env(environ)
        self.problems = problems

"""The metric catalogue: the metrics a service's handlers declare, read from the handlers' own code.

A config names a catalogue with ``catalog:``, either a dotted module name or a path to a ``.py`` file::

    catalog: examples.screen_resize.metrics      # imported with the config's directory on sys.path
    catalog: ../handlers/metrics.py              # relative to the config file

Every module-level attribute that is a declared metric (``lambda_metrics.Counter``, ``Gauge``,
``Histogram``, ``Check``) becomes a :class:`MetricInfo`. Monitors and dashboards then refer to
these same objects by name, so a monitor can never watch a metric no handler writes::

    from monitors.catalog import load_catalog

    catalog = load_catalog("examples.screen_resize.metrics")
    catalog["screen_resize.images"].tag_keys     # ('format',)

Why module attributes only (not every metric ever created in the process): importing a module may
import others, and a catalogue must say exactly what *this* service declares. A module that wants to
expose metrics declared elsewhere re-exports them (``from .metrics import IMAGES``).
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Final

from lambda_metrics._instrument import DEFAULT_NAMESPACE, TAG_KEYS, WRITTEN
from monitors.errors import MonitorsError

__all__ = [
    "INSTRUMENT_NAMESPACE",
    "METRIC_TYPES",
    "Catalog",
    "CatalogError",
    "MetricInfo",
    "collect",
    "format_catalog",
    "instrument_metrics",
    "load_catalog",
]

#: The metric types a declared metric can have (``lambda_metrics`` ``type`` attribute).
METRIC_TYPES: Final = ("count", "gauge", "histogram", "check")
#: ``@instrument``'s default metric namespace (``lambda_metrics.invocations``...).
INSTRUMENT_NAMESPACE: Final = DEFAULT_NAMESPACE
_INSTRUMENT_DESCRIPTIONS: Final = {
    "invocations": "Handler invocations",
    "duration": "Handler duration",
    "cold_starts": "Cold starts",
    "errors": "Handler exceptions",
    "timeouts": "Invocations about to time out (watchdog)",
}
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


class CatalogError(MonitorsError, ValueError):
    """The catalogue cannot be loaded, or declares nothing usable; ``reference`` is what the config said."""

    def __init__(self, reference: str, reason: str):
        self.reference = reference
        self.reason = reason
        super().__init__(f"catalog {reference!r}: {reason}")


@dataclass(frozen=True)
class MetricInfo:
    """One declared metric as monitors and dashboards see it."""

    name: str
    type: str
    tag_keys: tuple[str, ...] = ()
    description: str = ""
    unit: str | None = None
    attribute: str = ""  # the module attribute it was found under (for listings)

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "type": self.type,
            "tag_keys": list(self.tag_keys),
            "description": self.description,
            "unit": self.unit,
        }


@dataclass(frozen=True)
class Catalog(Mapping[str, MetricInfo]):
    """Declared metrics by name, in declaration order; ``source`` is the module or file it came from."""

    source: str
    metrics: tuple[MetricInfo, ...]

    def __getitem__(self, name: str) -> MetricInfo:
        for metric in self.metrics:
            if metric.name == name:
                return metric
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return (metric.name for metric in self.metrics)

    def __len__(self) -> int:
        return len(self.metrics)


def instrument_metrics(namespace: str = INSTRUMENT_NAMESPACE) -> tuple[MetricInfo, ...]:
    """What ``@instrument(namespace=...)`` writes: tags ``function_name`` and ``cold_start``."""
    return tuple(
        MetricInfo(f"{namespace}.{name}", mtype, (*TAG_KEYS, *extra), _INSTRUMENT_DESCRIPTIONS[name], unit)
        for name, mtype, unit, extra in WRITTEN
    )


def collect(module: ModuleType, source: str | None = None) -> Catalog:
    """Every declared metric among ``module``'s attributes (in ``dir()`` order after de-duplication).

    Raises :class:`CatalogError` when two different declarations share a name with different types
    or tag keys: monitors could not know which one a handler writes.
    """
    from lambda_metrics._declared import _Declared

    name = source or module.__name__
    found: dict[str, MetricInfo] = {}
    seen: set[int] = set()
    for attribute, value in vars(module).items():
        if not isinstance(value, _Declared) or id(value) in seen:
            continue
        seen.add(id(value))
        info = MetricInfo(
            name=value.name,
            type=value.type,
            tag_keys=tuple(value.tag_keys),
            description=value.description,
            unit=value.unit,
            attribute=attribute,
        )
        previous = found.get(info.name)
        if previous is not None:
            if (previous.type, previous.tag_keys) != (info.type, info.tag_keys):
                raise CatalogError(
                    name,
                    f"metric {info.name!r} is declared twice differently ({previous.attribute}: {previous.type} "
                    f"{list(previous.tag_keys)}, {attribute}: {info.type} {list(info.tag_keys)})",
                )
            continue
        found[info.name] = info
    if not found:
        raise CatalogError(name, "declares no metrics (expected module attributes such as Counter(...))")
    return Catalog(source=name, metrics=tuple(found.values()))


def _import_file(path: Path) -> ModuleType:
    module_name = f"_lambda_monitors_catalog_{re.sub(r'[^A-Za-z0-9_]', '_', str(path.resolve()))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


def load_catalog(reference: str, base_dir: str | Path | None = None) -> Catalog:
    """Import a catalogue by dotted module name or ``.py`` path and collect its declared metrics.

    A dotted name is imported with ``base_dir`` (the config file's directory), the nearest directory
    above it that holds the name's top-level package (so ``examples.screen_resize.metrics`` is found
    from ``examples/screen_resize/monitors.yaml`` wherever the command runs), and the current
    directory at the front of ``sys.path`` for the duration of the import. A path is resolved
    against ``base_dir``. Any failure (missing module, a syntax error or an exception in the module)
    becomes a :class:`CatalogError` with a one-line reason, never a traceback.
    """
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    is_path = reference.endswith(".py") or "/" in reference or "\\" in reference
    if not is_path and not _DOTTED.fullmatch(reference):
        raise CatalogError(reference, "expected a dotted module name (pkg.metrics) or a path to a .py file")
    extra = [str(base.resolve())]
    if not is_path:
        top = reference.split(".", 1)[0]
        root = next(
            (d for d in (base.resolve(), *base.resolve().parents) if (d / top).is_dir() or (d / f"{top}.py").is_file()),
            None,
        )
        if root is not None:
            extra.append(str(root))
    extra.append(str(Path.cwd()))
    added = [entry for entry in dict.fromkeys(extra) if entry not in sys.path]
    sys.path[:0] = added
    try:
        if is_path:
            path = Path(reference)
            path = path if path.is_absolute() else base / path
            if not path.is_file():
                raise CatalogError(reference, f"no such file: {path}")
            module = _import_file(path)
        else:
            module = importlib.import_module(reference)
    except CatalogError:
        raise
    except SyntaxError as exc:
        where = f" ({Path(exc.filename or '?').name}, line {exc.lineno})" if exc.lineno else ""
        raise CatalogError(reference, f"cannot import: SyntaxError: {exc.msg}{where}") from None
    except Exception as exc:
        raise CatalogError(reference, f"cannot import: {type(exc).__name__}: {exc}") from None
    finally:
        for entry in added:
            if entry in sys.path:
                sys.path.remove(entry)
    return collect(module, reference)


def format_catalog(catalog: Catalog) -> str:
    """The ``lambda-monitors metrics`` listing: one line per metric, then its description."""
    lines = [f"{len(catalog)} metrics declared in {catalog.source}", ""]
    width = max(len(m.name) for m in catalog.metrics)
    for metric in catalog.metrics:
        tags = ", ".join(metric.tag_keys) or "-"
        unit = metric.unit or "-"
        lines.append(f"  {metric.name:<{width}}  {metric.type:<9}  unit {unit:<11}  tags {tags}")
        if metric.description:
            lines.append(f"  {'':<{width}}  {metric.description}")
    return "\n".join(lines) + "\n"

"""Units a declared metric may carry, and their CloudWatch (EMF) names."""

from __future__ import annotations

#: Datadog-style unit names -> CloudWatch units.
UNITS = {
    "second": "Seconds",
    "millisecond": "Milliseconds",
    "microsecond": "Microseconds",
    "byte": "Bytes",
    "kilobyte": "Kilobytes",
    "megabyte": "Megabytes",
    "gigabyte": "Gigabytes",
    "terabyte": "Terabytes",
    "bit": "Bits",
    "kilobit": "Kilobits",
    "megabit": "Megabits",
    "gigabit": "Gigabits",
    "terabit": "Terabits",
    "percent": "Percent",
    "count": "Count",
    "byte/second": "Bytes/Second",
    "kilobyte/second": "Kilobytes/Second",
    "megabyte/second": "Megabytes/Second",
    "gigabyte/second": "Gigabytes/Second",
    "bit/second": "Bits/Second",
    "kilobit/second": "Kilobits/Second",
    "megabit/second": "Megabits/Second",
    "gigabit/second": "Gigabits/Second",
    "count/second": "Count/Second",
}
CLOUDWATCH_UNITS = frozenset([*UNITS.values(), "None", "Terabytes/Second", "Terabits/Second"])


def cloudwatch_unit(unit: str | None, mtype: str = "gauge") -> str:
    """The CloudWatch unit for a declared unit (``None``: ``Count`` for counts, else ``None``)."""
    if unit is None:
        return "Count" if mtype == "count" else "None"
    if unit in CLOUDWATCH_UNITS:
        return unit
    return UNITS[unit]


def is_known(unit: str) -> bool:
    return unit in UNITS or unit in CLOUDWATCH_UNITS

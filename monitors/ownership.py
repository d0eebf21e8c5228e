"""The ownership marker: how an object in Datadog or CloudWatch says "lambda-monitors manages me".

Sync (a later issue) updates or deletes only what carries the marker *and* belongs to the config's
service, so two teams (or a hand-made monitor) never step on each other.

Datadog monitors carry three tags::

    managed-by:lambda-monitors
    lambda-monitors-service:<service>
    lambda-monitors-key:<key>            # e.g. lambda-monitors-key:screen-resize/errors-rate

Datadog tags must start with a letter, may contain ``a-z 0-9 _ - : . /``, are lowercased by Datadog
and are at most 200 characters; ``/`` is allowed, so keys are used as they are. Keys are lowercase by
construction (:func:`monitors.lambda_defaults.item_key`) so Datadog's lowercasing never changes them.

CloudWatch alarms carry the same marker as tags (``Key``/``Value`` pairs, split at the first ``:``;
keys 1-128 characters, values 0-256; a key never contains ``:`` so AWS's reserved ``aws:`` key prefix
cannot occur) and their names begin with a
prefix, by default ``lambda-monitors-<service>-``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

__all__ = [
    "CLOUDWATCH_TAG_KEY_MAX",
    "CLOUDWATCH_TAG_VALUE_MAX",
    "DATADOG_TAG_MAX",
    "KEY_TAG_KEY",
    "MANAGED_BY_KEY",
    "MANAGED_BY_TAG",
    "MANAGED_BY_VALUE",
    "RESERVED_TAG_KEYS",
    "SERVICE_TAG_KEY",
    "cloudwatch_tags",
    "datadog_tag_problem",
    "default_alarm_prefix",
    "is_owned_cloudwatch",
    "is_owned_datadog",
    "key_from_cloudwatch_tags",
    "key_from_datadog_tags",
    "key_tag",
    "service_tag",
    "split_tag",
]

MANAGED_BY_KEY: Final = "managed-by"
MANAGED_BY_VALUE: Final = "lambda-monitors"
MANAGED_BY_TAG: Final = f"{MANAGED_BY_KEY}:{MANAGED_BY_VALUE}"
SERVICE_TAG_KEY: Final = "lambda-monitors-service"
KEY_TAG_KEY: Final = "lambda-monitors-key"
#: Tag keys the project sets itself; a config may not set them.
RESERVED_TAG_KEYS: Final = frozenset({MANAGED_BY_KEY, SERVICE_TAG_KEY, KEY_TAG_KEY, "service", "env"})

DATADOG_TAG_MAX: Final = 200
CLOUDWATCH_TAG_KEY_MAX: Final = 128
CLOUDWATCH_TAG_VALUE_MAX: Final = 256
_DATADOG_TAG = re.compile(r"[a-z][a-z0-9_\-:./]*")


def service_tag(service: str) -> str:
    """``lambda-monitors-service:<service>``."""
    return f"{SERVICE_TAG_KEY}:{service}"


def key_tag(key: str) -> str:
    """``lambda-monitors-key:<key>``; keys such as ``thumbnail/errors-rate`` are valid tag values."""
    return f"{KEY_TAG_KEY}:{key}"


def default_alarm_prefix(service: str) -> str:
    """The default CloudWatch alarm name prefix, ``lambda-monitors-<service>-``."""
    return f"lambda-monitors-{service}-"


def split_tag(tag: str) -> tuple[str, str]:
    """``"team:imaging"`` -> ``("team", "imaging")``; a tag without ``:`` has an empty value."""
    key, _, value = tag.partition(":")
    return key, value


def datadog_tag_problem(tag: str) -> str | None:
    """Why ``tag`` is not a valid Datadog tag as written, or ``None`` when it is.

    Datadog would silently rewrite an invalid tag (lowercase it, replace characters by ``_``), and a
    rewritten tag never matches what the config says, so the project refuses it instead.
    """
    if len(tag) > DATADOG_TAG_MAX:
        return f"is {len(tag)} characters long (Datadog allows at most {DATADOG_TAG_MAX})"
    if not _DATADOG_TAG.fullmatch(tag):
        return (
            "must start with a lowercase letter and contain only lowercase letters, digits and '_', '-', ':', '.', '/'"
        )
    if tag.endswith(":"):
        return "must not end with ':'"
    key, value = split_tag(tag)
    if len(key) > CLOUDWATCH_TAG_KEY_MAX or len(value) > CLOUDWATCH_TAG_VALUE_MAX:
        return (
            f"is too long for a CloudWatch tag (key at most {CLOUDWATCH_TAG_KEY_MAX} characters, "
            f"value at most {CLOUDWATCH_TAG_VALUE_MAX})"
        )
    return None


def cloudwatch_tags(tags: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """Datadog-style ``key:value`` tags as CloudWatch ``(Key, Value)`` pairs, first one wins per key."""
    seen: dict[str, str] = {}
    for tag in tags:
        key, value = split_tag(tag)
        seen.setdefault(key, value)
    return tuple(seen.items())


def _tag_list(tags: object) -> list[str]:
    if isinstance(tags, (list, tuple)):
        return [t for t in tags if isinstance(t, str)]
    return []


def is_owned_datadog(monitor: Mapping[str, Any], service: str | None = None) -> bool:
    """True when a monitor (as the API returns it) carries the marker, and the service's tag if given."""
    tags = _tag_list(monitor.get("tags"))
    if MANAGED_BY_TAG not in tags:
        return False
    return service is None or service_tag(service) in tags


def key_from_datadog_tags(tags: Iterable[str]) -> str | None:
    """The identity key in ``lambda-monitors-key:<key>``, or ``None`` when absent."""
    prefix = f"{KEY_TAG_KEY}:"
    for tag in tags:
        if tag.startswith(prefix) and len(tag) > len(prefix):
            return tag[len(prefix) :]
    return None


def _tag_dict(tags: Mapping[str, str] | Iterable[Mapping[str, str]]) -> dict[str, str]:
    if isinstance(tags, Mapping):
        return {str(k): str(v) for k, v in tags.items()}
    out: dict[str, str] = {}
    for item in tags:
        if "Key" in item:
            out[item["Key"]] = item.get("Value", "")
    return out


def is_owned_cloudwatch(
    alarm_name: str,
    tags: Mapping[str, str] | Iterable[Mapping[str, str]],
    prefix: str,
    service: str | None = None,
) -> bool:
    """True when the alarm name has ``prefix`` and its tags carry the marker (and service, if given).

    ``tags`` is either a ``{key: value}`` mapping or the ``[{"Key": ..., "Value": ...}]`` list that
    ``list_tags_for_resource`` returns. Both the name and the tags are required: the prefix alone could
    be matched by a hand-made alarm, and tags alone can be copied by hand.
    """
    if not alarm_name.startswith(prefix):
        return False
    found = _tag_dict(tags)
    if found.get(MANAGED_BY_KEY) != MANAGED_BY_VALUE:
        return False
    return service is None or found.get(SERVICE_TAG_KEY) == service


def key_from_cloudwatch_tags(tags: Mapping[str, str] | Iterable[Mapping[str, str]]) -> str | None:
    """The identity key stored in the ``lambda-monitors-key`` tag, or ``None``."""
    return _tag_dict(tags).get(KEY_TAG_KEY) or None

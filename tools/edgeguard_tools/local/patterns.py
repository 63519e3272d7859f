"""EventBridge event-pattern matching with EventBridge's documented semantics.

Written here because moto's matcher does not look inside arrays of objects
(``detail.findings[].Types``), which Security Hub and GuardDuty rules depend on.

Semantics (Amazon EventBridge user guide, "Event patterns" and "Content filtering"):
- A pattern is a JSON object; every key must match (AND). A leaf is a list of
  conditions; any one may match (OR). ``$or`` holds a list of alternative sub-patterns.
- When the event's value is an array, the condition matches if any element matches.
  Arrays of objects: a nested pattern matches when one element matches all of it.
- Exact values: strings, numbers (compared numerically), booleans and null.
- ``prefix``, ``suffix`` (plain or ``{"equals-ignore-case": ...}``),
  ``equals-ignore-case``, ``wildcard`` (``*``, ``\\*`` for a literal star),
  ``anything-but`` (a value, a list, or ``prefix``/``suffix``/``equals-ignore-case``/
  ``wildcard``), ``numeric`` (``=``, ``<``, ``<=``, ``>``, ``>=``, pairs for ranges),
  ``cidr`` (IPv4 and IPv6), ``exists`` true/false.
- ``exists`` and all other conditions apply to leaf values only: an object or a
  missing field never satisfies ``anything-but``, ``exists: true`` or a value condition.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

_MISSING = object()


class PatternError(ValueError):
    """The pattern is not one EventBridge would accept."""


def matches(pattern: dict[str, Any] | str, event: dict[str, Any]) -> bool:
    """Whether ``event`` matches the EventBridge ``pattern`` (dict or its JSON text)."""
    if isinstance(pattern, str):
        pattern = json.loads(pattern)
    if not isinstance(pattern, dict):
        raise PatternError("an event pattern is a JSON object")
    return _match_object(pattern, event)


def _match_object(pattern: dict[str, Any], value: Any) -> bool:
    if isinstance(value, list):
        # an array of objects: one element must satisfy the whole sub-pattern
        return any(_match_object(pattern, item) for item in value if isinstance(item, dict))
    if not isinstance(value, dict):
        return _only_absence(pattern)
    for key, sub in pattern.items():
        if key == "$or":
            if not isinstance(sub, list) or len(sub) < 2:
                raise PatternError("$or needs a list of at least two patterns")
            if not any(_match_object(alternative, value) for alternative in sub):
                return False
            continue
        field = value.get(key, _MISSING)
        if isinstance(sub, dict):
            if field is _MISSING:
                if not _only_absence(sub):
                    return False
            elif not _match_object(sub, field):
                return False
        elif isinstance(sub, list):
            if not _match_leaf(sub, field):
                return False
        else:
            raise PatternError(f"pattern value for {key!r} must be an array or an object")
    return True


def _only_absence(pattern: dict[str, Any]) -> bool:
    """A missing object still matches a sub-pattern made only of exists:false conditions."""
    for key, sub in pattern.items():
        if key == "$or":
            if not any(_only_absence(alternative) for alternative in sub):
                return False
        elif isinstance(sub, dict):
            if not _only_absence(sub):
                return False
        elif not any(isinstance(c, dict) and c.get("exists") is False for c in sub):
            return False
    return True


def _leaves(field: Any) -> list[Any]:
    if field is _MISSING:
        return []
    if isinstance(field, list):
        out: list[Any] = []
        for item in field:
            out.extend(_leaves(item) if isinstance(item, list) else [item])
        return [item for item in out if not isinstance(item, dict)]
    if isinstance(field, dict):
        return []
    return [field]


def _match_leaf(conditions: list[Any], field: Any) -> bool:
    values = _leaves(field)
    for condition in conditions:
        if isinstance(condition, dict):
            if "exists" in condition:
                if bool(values) == bool(condition["exists"]):
                    return True
                continue
            if any(_match_operator(condition, value) for value in values):
                return True
        elif any(_equal(condition, value) for value in values):
            return True
    return False


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _equal(expected: Any, value: Any) -> bool:
    if _is_number(expected) and _is_number(value):
        return float(expected) == float(value)
    if isinstance(expected, bool) or isinstance(value, bool):
        return expected is value
    return type(expected) is type(value) and expected == value


def _match_operator(condition: dict[str, Any], value: Any) -> bool:
    if len(condition) != 1:
        raise PatternError(f"one operator per condition, got {sorted(condition)}")
    (operator, argument), = condition.items()  # fmt: skip
    if operator == "prefix":
        return _affix(argument, value, str.startswith)
    if operator == "suffix":
        return _affix(argument, value, str.endswith)
    if operator == "equals-ignore-case":
        return isinstance(value, str) and value.casefold() == str(argument).casefold()
    if operator == "wildcard":
        return isinstance(value, str) and _wildcard(str(argument)).fullmatch(value) is not None
    if operator == "anything-but":
        return _anything_but(argument, value)
    if operator == "numeric":
        return _numeric(argument, value)
    if operator == "cidr":
        return _cidr(str(argument), value)
    raise PatternError(f"unknown operator {operator!r}")


def _affix(argument: Any, value: Any, test: Any) -> bool:
    if not isinstance(value, str):
        return False
    if isinstance(argument, dict):
        wanted = argument.get("equals-ignore-case")
        if wanted is None:
            raise PatternError("prefix/suffix takes a string or {equals-ignore-case: ...}")
        return bool(test(value.casefold(), str(wanted).casefold()))
    return bool(test(value, str(argument)))


def _wildcard(pattern: str) -> re.Pattern[str]:
    parts, index = [], 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            parts.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        parts.append(".*" if char == "*" else re.escape(char))
        index += 1
    return re.compile("".join(parts), re.DOTALL)


def _anything_but(argument: Any, value: Any) -> bool:
    if isinstance(argument, dict):
        if len(argument) != 1:
            raise PatternError("anything-but takes one operator")
        (operator, inner), = argument.items()  # fmt: skip
        if not isinstance(value, str):
            return False
        items = inner if isinstance(inner, list) else [inner]
        if operator == "prefix":
            return not any(value.startswith(str(item)) for item in items)
        if operator == "suffix":
            return not any(value.endswith(str(item)) for item in items)
        if operator == "equals-ignore-case":
            return value.casefold() not in {str(item).casefold() for item in items}
        if operator == "wildcard":
            return not any(_wildcard(str(item)).fullmatch(value) for item in items)
        raise PatternError(f"anything-but does not take {operator!r}")
    excluded = argument if isinstance(argument, list) else [argument]
    return not any(_equal(item, value) for item in excluded)


_COMPARE = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _numeric(argument: Any, value: Any) -> bool:
    if not isinstance(argument, list) or not argument or len(argument) % 2:
        raise PatternError("numeric takes pairs of operator and number")
    if not _is_number(value):
        return False
    for index in range(0, len(argument), 2):
        operator, bound = argument[index], argument[index + 1]
        if operator not in _COMPARE or not _is_number(bound):
            raise PatternError(f"numeric: bad comparison {operator!r} {bound!r}")
        if not _COMPARE[operator](float(value), float(bound)):
            return False
    return True


def _cidr(argument: str, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        network = ipaddress.ip_network(argument, strict=False)
    except ValueError as error:
        raise PatternError(f"cidr: {argument!r} is not a CIDR block") from error
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    return address.version == network.version and address in network

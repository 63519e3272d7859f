"""Template parameters: the values a template's ``Parameters`` get, checked like CloudFormation.

- ``resolve_parameters(declared, overrides)``: defaults plus overrides, validated
  (AllowedPattern, AllowedValues, Number with MinValue/MaxValue); CommaDelimitedList
  and ``List<...>`` parameters become lists. Raises ``TemplateError``.
- ``local_parameters(declared, local, overrides)``: what the local cloud passes: its own
  values (the Telegram stand-in, the origin stand-in, ...) for the parameters the template
  declares, then the caller's overrides on top.

``TemplateError`` lives here (the template reader re-exports it) so that this module
needs nothing from the reader.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any


class TemplateError(ValueError):
    """The template (or a parameter override) is not something CloudFormation would accept."""


def _check_parameter(name: str, spec: dict[str, Any], value: str) -> None:
    kind = spec.get("Type", "String")
    items = [value] if kind != "CommaDelimitedList" else value.split(",")
    for item in items:
        pattern = spec.get("AllowedPattern")
        if pattern is not None and kind != "Number" and not re.fullmatch(pattern, item):
            raise TemplateError(f"parameter {name}={item!r} does not match {pattern}")
        allowed = spec.get("AllowedValues")
        if allowed is not None and item not in [str(a) for a in allowed]:
            raise TemplateError(f"parameter {name}={item!r} is not one of {allowed}")
    if kind == "Number":
        try:
            number = float(value)
        except ValueError as error:
            raise TemplateError(f"parameter {name}={value!r} is not a number") from error
        if "MinValue" in spec and number < float(spec["MinValue"]):
            raise TemplateError(f"parameter {name}={value} is below {spec['MinValue']}")
        if "MaxValue" in spec and number > float(spec["MaxValue"]):
            raise TemplateError(f"parameter {name}={value} is above {spec['MaxValue']}")


def resolve_parameters(
    declared: dict[str, Any], overrides: dict[str, Any] | None
) -> dict[str, str | list[str]]:
    """Defaults plus overrides, checked like CloudFormation; lists for CommaDelimitedList.

    ``declared`` is the template's ``Parameters`` section. Raises ``TemplateError`` for an
    unknown override, a parameter with neither default nor value, or a value the
    parameter's constraints refuse.
    """
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise TemplateError(f"unknown parameter(s): {', '.join(unknown)}")
    values: dict[str, str | list[str]] = {}
    for name, spec in declared.items():
        if name in overrides:
            raw = overrides[name]
            if isinstance(raw, list | tuple):
                raw = ",".join(str(item) for item in raw)
            text = str(raw)
        elif "Default" in spec:
            default = spec["Default"]
            text = ",".join(map(str, default)) if isinstance(default, list) else str(default)
        else:
            raise TemplateError(f"parameter {name} has no default and no value was given")
        _check_parameter(name, spec, text)
        kind = spec.get("Type", "String")
        values[name] = text.split(",") if kind.startswith(("CommaDelimitedList", "List<")) else text
    return values


def local_parameters(
    declared: Iterable[str], local: Mapping[str, Any], overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """The local cloud's own values for the declared parameters, then ``overrides``.

    A local value for a parameter the template does not declare is dropped (a small
    fixture template need not declare them); an override is kept as given, so an
    unknown one is refused later by ``resolve_parameters``.
    """
    names = set(declared)
    merged = {key: value for key, value in local.items() if key in names}
    merged.update(overrides)
    return merged

"""Reading a template file: YAML with CloudFormation's short-form tags, cached.

``load_template(path)`` parses a template (``!Ref``, ``!Sub``, ``!GetAtt a.b`` and the
other short forms become their long ``{"Fn::...": ...}`` forms), cached per file and
modification time; every caller gets its own deep copy. ``TemplateError`` when the file
is not a CloudFormation template (no ``Resources``). Resolving what was read is
edgeguard_tools.local.template's job.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from edgeguard_tools.events import project_root
from edgeguard_tools.local.parameters import TemplateError

_SHORT_FORMS = (
    "Ref", "Condition", "GetAtt", "Sub", "If", "Equals", "Not", "And", "Or", "Join",
    "Select", "Split", "FindInMap", "Base64", "GetAZs", "ImportValue", "Cidr", "Length",
    "ToJsonString", "Transform",
)  # fmt: skip


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML loader that understands CloudFormation's short-form tags (!Ref, !Sub, ...)."""


def _construct(tag: str) -> Callable[[yaml.Loader, yaml.Node], dict[str, Any]]:
    key = tag if tag in {"Ref", "Condition"} else f"Fn::{tag}"

    def construct(loader: yaml.Loader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if tag == "GetAtt":
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {key: value}

    return construct


for _tag in _SHORT_FORMS:
    _Loader.add_constructor(f"!{_tag}", _construct(_tag))


@functools.lru_cache(maxsize=16)
def _load_cached(path: str, mtime_ns: int) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    if not isinstance(data, dict) or "Resources" not in data:
        raise TemplateError(f"{path} is not a CloudFormation template (no Resources)")
    return data


def load_template(path: str | Path) -> dict[str, Any]:
    """Parse a template file (cached per modification time; callers get a deep copy)."""
    file = Path(path).resolve()
    return copy.deepcopy(_load_cached(str(file), file.stat().st_mtime_ns))


def default_template_path() -> Path:
    """The project's template.yaml."""
    return project_root() / "template.yaml"

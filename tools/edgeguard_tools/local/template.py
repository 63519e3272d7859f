"""Read template.yaml the way CloudFormation would, for the local cloud.

The SAM template is read raw (edgeguard_tools.local.template_file: PyYAML with the
short-form intrinsics) and resolved here: parameter defaults plus overrides (validated
like CloudFormation does, in edgeguard_tools.local.parameters),
Conditions, ``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::If``, ``Fn::Join``,
``Fn::Select``, ``Fn::Split``, ``Fn::FindInMap``, ``Fn::Base64``, ``Fn::Equals``
and friends. SAM ``Globals`` are merged into the serverless resources the way SAM
merges them (maps merged, scalars overridden, lists appended).

Resolving needs physical names that exist only once resources are created, so
``Ref``/``GetAtt`` are answered by a callback the local cloud supplies.
"""

from __future__ import annotations

import base64
import copy
import ipaddress
import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edgeguard_tools.local.parameters import TemplateError, resolve_parameters
from edgeguard_tools.local.template_file import default_template_path, load_template

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
DEFAULT_STACK_NAME = "edgeguard"

NO_VALUE = object()  # AWS::NoValue: the property is removed


# ------------------------------------------------------------------- resolver
RefLookup = Callable[[str], Any]
AttLookup = Callable[[str, str], Any]


@dataclass
class Template:
    """A parsed template with its parameters and conditions decided."""

    path: Path
    raw: dict[str, Any]
    parameters: dict[str, str | list[str]]
    stack_name: str = DEFAULT_STACK_NAME
    conditions: dict[str, bool] = field(default_factory=dict)

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        parameters: dict[str, Any] | None = None,
        stack_name: str = DEFAULT_STACK_NAME,
    ) -> Template:
        file = Path(path) if path is not None else default_template_path()
        raw = load_template(file)
        template = cls(
            path=file.resolve(),
            raw=raw,
            parameters=resolve_parameters(raw.get("Parameters") or {}, parameters),
            stack_name=stack_name,
        )
        template._merge_globals()
        for name in raw.get("Conditions") or {}:
            template.condition(name)
        return template

    @property
    def root(self) -> Path:
        return self.path.parent

    # ------------------------------------------------------------ resources
    def resources(self) -> dict[str, dict[str, Any]]:
        """Resources whose Condition holds, in template order."""
        out = {}
        for logical_id, resource in (self.raw.get("Resources") or {}).items():
            condition = resource.get("Condition")
            if condition is None or self.condition(condition):
                out[logical_id] = resource
        return out

    def resources_of(self, *types: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources().items() if v.get("Type") in types}

    def _merge_globals(self) -> None:
        """Apply SAM Globals (Function, StateMachine, SimpleTable, ...) to each resource."""
        globals_ = self.raw.get("Globals") or {}
        for section, defaults in globals_.items():
            kind = f"AWS::Serverless::{section}"
            for resource in (self.raw.get("Resources") or {}).values():
                if resource.get("Type") == kind:
                    props = resource.setdefault("Properties", {})
                    resource["Properties"] = _merge_global(copy.deepcopy(defaults), props)

    # ----------------------------------------------------------- conditions
    def condition(self, name: str, _seen: frozenset[str] = frozenset()) -> bool:
        if name in self.conditions:
            return self.conditions[name]
        if name in _seen:
            raise TemplateError(f"condition {name} refers to itself")
        declared = self.raw.get("Conditions") or {}
        if name not in declared:
            raise TemplateError(f"unknown condition {name}")
        value = self.resolve(
            declared[name],
            ref=self._parameter_only,
            att=self._no_att,
            seen=_seen | {name},
        )
        self.conditions[name] = bool(value)
        return bool(value)

    def _parameter_only(self, name: str) -> Any:
        raise TemplateError(f"a condition may only refer to parameters, not {name}")

    @staticmethod
    def _no_att(logical_id: str, attribute: str) -> Any:
        raise TemplateError(f"a condition may not use GetAtt {logical_id}.{attribute}")

    # ------------------------------------------------------------- resolve
    def pseudo(self, name: str) -> Any:
        return {
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Region": REGION,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.stack_name,
            "AWS::StackId": (
                f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{self.stack_name}/local"
            ),
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }.get(name, NO_VALUE)

    def ref(self, name: str, ref: RefLookup) -> Any:
        if name in self.parameters:
            return self.parameters[name]
        if name.startswith("AWS::"):
            value = self.pseudo(name)
            if value is NO_VALUE and name != "AWS::NoValue":
                raise TemplateError(f"unknown pseudo parameter {name}")
            return value
        return ref(name)

    def resolve(
        self,
        value: Any,
        ref: RefLookup,
        att: AttLookup,
        seen: frozenset[str] = frozenset(),
    ) -> Any:
        """Resolve every intrinsic function in ``value``; AWS::NoValue entries disappear."""

        def go(item: Any) -> Any:
            return self.resolve(item, ref, att, seen)

        if isinstance(value, list):
            resolved = [go(item) for item in value]
            return [item for item in resolved if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()  # fmt: skip
            if key == "Ref":
                return self.ref(str(arg), ref)
            if key == "Condition":
                return self.condition(str(arg), seen)
            if key.startswith("Fn::"):
                return self._function(key[4:], arg, go, ref, att)
        out = {}
        for key, item in value.items():
            resolved = go(item)
            if resolved is not NO_VALUE:
                out[key] = resolved
        return out

    def _function(
        self, name: str, arg: Any, go: Callable[[Any], Any], ref: RefLookup, att: AttLookup
    ) -> Any:
        """``Fn::<name>``: the ones that reach into the template here, the rest by kind."""
        if name == "GetAtt":
            parts = arg.split(".", 1) if isinstance(arg, str) else [go(part) for part in arg]
            return att(str(parts[0]), str(parts[1]))
        if name == "Sub":
            text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], go(arg[1]))
            return self._sub(text, variables, ref, att)
        if name == "If":
            condition, then, otherwise = arg
            return go(then) if self.condition(condition) else go(otherwise)
        if name == "FindInMap":
            mapping, top, second = (go(part) for part in arg)
            try:
                return self.raw["Mappings"][mapping][top][second]
            except KeyError as error:
                raise TemplateError(f"FindInMap {mapping}/{top}/{second}: no such entry") from error
        if name in _CONDITION_FUNCTIONS:
            return _condition_function(name, arg, go)
        return _value_function(name, arg, go)

    def _sub(self, text: str, variables: dict[str, Any], ref: RefLookup, att: AttLookup) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"  # ${!Literal}
            if name in variables:
                return _scalar_text(variables[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return _scalar_text(att(logical_id, attribute))
            return _scalar_text(self.ref(name, ref))

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    # -------------------------------------------------------- dependencies
    def dependencies(self, logical_id: str) -> set[str]:
        """Logical ids this resource refers to (Ref, GetAtt, Sub, DependsOn)."""
        resource = (self.raw.get("Resources") or {})[logical_id]
        found: set[str] = set()
        depends = resource.get("DependsOn") or []
        found.update([depends] if isinstance(depends, str) else depends)
        for kind, target in _references(resource.get("Properties") or {}):
            is_parameter = target in self.parameters or target.startswith("AWS::")
            if kind == "att" or not is_parameter:
                found.add(target)
        return found


def _references(value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, list):
        for item in value:
            yield from _references(item)
    elif isinstance(value, dict):
        if len(value) == 1:
            (key, arg), = value.items()  # fmt: skip
            if key == "Ref" and isinstance(arg, str):
                yield "ref", arg
                return
            if key == "Fn::GetAtt":
                target = arg.split(".", 1)[0] if isinstance(arg, str) else arg[0]
                if isinstance(target, str):
                    yield "att", target
                return
            if key == "Fn::Sub":
                text = arg if isinstance(arg, str) else arg[0]
                local = set() if isinstance(arg, str) else set(arg[1])
                for name in re.findall(r"\$\{([^}!][^}]*)\}", text):
                    head = name.split(".", 1)[0]
                    if name not in local and not name.startswith("AWS::"):
                        yield ("att" if "." in name else "ref"), head
                if not isinstance(arg, str):
                    yield from _references(arg[1])
                return
        for item in value.values():
            yield from _references(item)


_CONDITION_FUNCTIONS = frozenset({"Equals", "Not", "And", "Or"})


def _condition_function(name: str, arg: Any, go: Callable[[Any], Any]) -> bool:
    """Fn::Equals, Fn::Not, Fn::And, Fn::Or."""
    if name == "Equals":
        left, right = (go(part) for part in arg)
        return _scalar_text(left) == _scalar_text(right)
    if name == "Not":
        return not go(arg[0])
    if name == "And":
        return all(go(part) for part in arg)
    return any(go(part) for part in arg)  # Or


def _value_function(name: str, arg: Any, go: Callable[[Any], Any]) -> Any:
    """The functions that only compute a value from their (resolved) arguments."""
    if name == "Join":
        separator, items = arg
        return str(separator).join(_scalar_text(item) for item in go(items))
    if name == "Select":
        index, items = go(arg[0]), go(arg[1])
        return items[int(index)]
    if name == "Split":
        separator, text = arg
        return str(go(text)).split(str(separator))
    if name == "Base64":
        return base64.b64encode(str(go(arg)).encode()).decode()
    if name == "GetAZs":
        return [f"{REGION}{zone}" for zone in "abcdef"]
    if name == "Length":
        return len(go(arg))
    if name == "Cidr":
        return _cidr(*(go(part) for part in arg))
    if name == "ToJsonString":
        return json.dumps(go(arg), separators=(",", ":"))
    raise TemplateError(f"Fn::{name} is not supported by the local cloud")


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _merge_global(defaults: Any, own: Any) -> Any:
    """SAM's Globals merge: maps merge key by key, lists append, scalars: the resource wins."""
    if isinstance(defaults, dict) and isinstance(own, dict):
        if any(k.startswith("Fn::") or k == "Ref" for k in own):
            return own
        merged = dict(defaults)
        for key, value in own.items():
            merged[key] = _merge_global(defaults[key], value) if key in defaults else value
        return merged
    if isinstance(defaults, list) and isinstance(own, list):
        return defaults + own
    return own


def topological_order(template: Template, logical_ids: list[str]) -> list[str]:
    """Creation order: a resource after everything it refers to (template order otherwise)."""
    wanted = set(logical_ids)
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(node: str) -> None:
        if state.get(node) == 2:
            return
        if state.get(node) == 1:
            return  # a cycle: CloudFormation would refuse it; keep template order
        state[node] = 1
        for dependency in sorted(template.dependencies(node) & wanted):
            visit(dependency)
        state[node] = 2
        order.append(node)

    for logical_id in logical_ids:
        visit(logical_id)
    return order


def _cidr(block: Any, count: Any, host_bits: Any) -> list[str]:
    """Fn::Cidr: ``count`` consecutive subnets of ``block``, each with ``host_bits`` host bits."""
    network = ipaddress.ip_network(str(block), strict=True)
    prefix = network.max_prefixlen - int(host_bits)
    if not network.prefixlen <= prefix <= network.max_prefixlen or not 1 <= int(count) <= 256:
        raise TemplateError(f"Fn::Cidr cannot carve {count} /{prefix} subnets from {block}")
    subnets = list(itertools.islice(network.subnets(new_prefix=prefix), int(count)))
    if len(subnets) < int(count):
        raise TemplateError(f"Fn::Cidr: {block} holds fewer than {count} /{prefix} subnets")
    return [str(subnet) for subnet in subnets]

"""The stack's lookups: logical id <-> physical name/ARN, Ref/GetAtt, resolving values.

``Stack`` holds what provisioning produced (``physical``: logical id -> ``Physical``,
``reverse``: physical name/ARN/URL -> logical id, ``skipped``: what is not emulated and
why) and answers the questions every other part of the local cloud asks: what ``!Ref``
and ``!GetAtt`` give, which resource a physical value names, what kind of delivery target
a resource is, and a template value with its intrinsics and dynamic references
(``{{resolve:secretsmanager:...}}``, ``{{resolve:ssm:...}}``) resolved.
"""

from __future__ import annotations

import json
import re
from typing import Any

from edgeguard_tools.local import resources as res
from edgeguard_tools.local.resources import ClientFactory
from edgeguard_tools.local.template import NO_VALUE, Template
from edgeguard_tools.local.wiring import FUNCTION_TYPES, STATE_MACHINE_TYPES

_DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:(secretsmanager|ssm-secure|ssm):([^}]+)\}\}")


class Stack:
    """The template's resources as created: lookups by logical id and by physical value.

    ``client(service)`` gives a boto3 client on the local cloud (for dynamic references).
    ``template`` is set once the template is loaded; until then lookups fail.
    """

    def __init__(self, client: ClientFactory) -> None:
        self._client = client
        self.template: Template
        self.physical: dict[str, res.Physical] = {}
        self.reverse: dict[str, str] = {}
        self.skipped: dict[str, str] = {}

    def resource(self, logical_id: str) -> Any:
        """Physical name or ARN, what ``!Ref`` gives; ``KeyError`` for an unknown id."""
        if logical_id not in self.physical:
            raise KeyError(f"{logical_id} is not a resource of {self.template.path.name}")
        return self.physical[logical_id].ref

    def attribute(self, logical_id: str, name: str) -> Any:
        """What ``!GetAtt logical_id.name`` gives.

        ``KeyError`` for an unknown resource, or an attribute a created resource lacks;
        a resource that is not emulated gets a stable stand-in value, so what refers to
        it (an ALB's DNSName as a CloudFront origin, a role's Arn) still resolves.
        """
        physical = self.physical.get(logical_id)
        if physical is None:
            raise KeyError(f"{logical_id} is not a resource of {self.template.path.name}")
        if name not in physical.attributes:
            if physical.created:
                raise KeyError(f"{logical_id} has no attribute {name} locally")
            physical.attributes[name] = res.virtual_attribute(logical_id, name)
            self.reverse.setdefault(physical.attributes[name], logical_id)
        return physical.attributes[name]

    def resolve(self, value: Any) -> Any:
        """Resolve intrinsics and dynamic references against the created resources."""
        resolved = self.template.resolve(value, ref=self.resource, att=self.attribute)
        return None if resolved is NO_VALUE else self._dynamic_references(resolved)

    def logical_for(self, value: Any) -> str:
        """The logical id behind a physical name/ARN/URL (or a literal ARN in the template).

        ``KeyError`` when no resource of the template has that value.
        """
        text = str(value)
        if text in self.reverse:
            return self.reverse[text]
        if text in self.physical:
            return text
        raise KeyError(f"{text} is not a resource of {self.template.path.name}")

    def owner_of(self, value: str) -> str | None:
        """The logical id whose physical name/ARN is exactly ``value``, or None."""
        return self.reverse.get(value)

    def kind_of(self, logical_id: str) -> str:
        """``function``, ``statemachine``, ``topic``, ``queue`` or ``unknown``."""
        kind = self.template.resources()[logical_id]["Type"]
        if kind in FUNCTION_TYPES:
            return "function"
        if kind in STATE_MACHINE_TYPES:
            return "statemachine"
        return {"AWS::SNS::Topic": "topic", "AWS::SQS::Queue": "queue"}.get(kind, "unknown")

    def state_machine_arns(self) -> list[str]:
        """The ARNs of the template's state machines that exist, in template order."""
        return [
            self.resource(logical_id)
            for logical_id in self.template.resources_of(*STATE_MACHINE_TYPES)
            if logical_id in self.physical
        ]

    def function_named(self, name: str) -> str | None:
        """The logical id of the function whose physical name is ``name``, or None."""
        return next(
            (
                k
                for k, p in self.physical.items()
                if p.ref == name and self.kind_of(k) == "function"
            ),
            None,
        )

    def index(self) -> None:
        """Record every physical name and attribute value for ``logical_for``/``owner_of``."""
        for logical_id, physical in self.physical.items():
            for value in [physical.ref, *physical.attributes.values()]:
                if isinstance(value, str):
                    self.reverse.setdefault(value, logical_id)

    def skip(self, key: str, reason: str) -> None:
        """Note something the local cloud did not do (first reason wins)."""
        self.skipped.setdefault(key, reason)

    def _dynamic_references(self, value: Any) -> Any:
        """Dynamic references ({{resolve:secretsmanager:...}}, ssm), as CloudFormation does."""
        if isinstance(value, dict):
            return {key: self._dynamic_references(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._dynamic_references(item) for item in value]
        if not isinstance(value, str) or "{{resolve:" not in value:
            return value
        return _DYNAMIC_REFERENCE.sub(lambda m: self._dynamic_value(m.group(1), m.group(2)), value)

    def _dynamic_value(self, service: str, reference: str) -> str:
        if service in {"ssm", "ssm-secure"}:
            name, _, version = reference.partition(":")
            parameter = f"{name}:{version}" if version else name
            return str(
                self._client("ssm").get_parameter(Name=parameter, WithDecryption=True)["Parameter"][
                    "Value"
                ]
            )
        parts = reference.split(":")
        cut = 7 if reference.startswith("arn:") else 1
        secret_id, rest = ":".join(parts[:cut]), parts[cut:]
        rest += [""] * (4 - len(rest))
        _, json_key, stage, version = rest[:4]
        args: dict[str, Any] = {"SecretId": secret_id}
        if version:
            args["VersionId"] = version
        elif stage:
            args["VersionStage"] = stage
        text = self._client("secretsmanager").get_secret_value(**args)["SecretString"]
        return str(json.loads(text)[json_key]) if json_key else text

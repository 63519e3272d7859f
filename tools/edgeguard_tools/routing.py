"""The deployed stack's EventBridge routing, read from template.yaml, for offline answers.

``edgeguard findings`` must say what the deployed stack would do with an event, so it reads
the very rule patterns that ``sam deploy`` creates: every ``EventBridgeRule`` /
``CloudWatchEvent`` event of a function or state machine and every ``AWS::Events::Rule``
whose resource exists under the stack's parameters (conditions decided), with
``!Sub``/``!Ref`` resolved from those parameters (severity thresholds included), and
matches them with the local cloud's EventBridge matcher (``local.patterns``). Nothing here
re-declares a pattern.

A function's environment is resolved the same way, so that the offline answer is computed
with the settings the deployed function would read (``FindingSettings.from_env`` etc.).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edgeguard_tools.local.patterns import matches
from edgeguard_tools.local.template import Template

_RULE_EVENTS = {"EventBridgeRule", "CloudWatchEvent"}
_MISSING = object()


@dataclass(frozen=True)
class Rule:
    """One deployed rule: ``name`` is ``<resource>.<event>`` (or the AWS::Events::Rule id)."""

    name: str
    target: str  # logical id of the function or state machine it invokes
    pattern: dict[str, Any]
    enabled: bool = True


@dataclass
class Routing:
    """The deployed rules of one stack (template + parameters), per account and region."""

    template: StackTemplate
    _rules: dict[tuple[str, str], list[Rule]] = field(default_factory=dict)

    @classmethod
    def load(cls, parameters: dict[str, str] | None = None, path: Path | None = None) -> Routing:
        """Read template.yaml (``path``, default the checkout's) with the stack's parameters.

        Raises:
            edgeguard_tools.local.template.TemplateError: an unknown or out-of-range
                parameter, or a template that cannot be resolved.
            OSError: the template cannot be read.
        """
        template = StackTemplate.load(path, parameters)
        if not isinstance(template, StackTemplate):  # Template.load builds ``cls``
            raise TypeError("Template.load did not build a StackTemplate")
        return cls(template)

    def rules(self, account: str = "", region: str = "") -> list[Rule]:
        """Every enabled rule as deployed in ``account``/``region`` (ARNs in patterns, such
        as a custom action's, hold them); the template's local defaults when empty."""
        key = (account, region)
        if key not in self._rules:
            self._rules[key] = list(self._read(account, region))
        return self._rules[key]

    def route(self, event: dict[str, Any]) -> list[Rule]:
        """The rules whose pattern ``event`` matches, in template order."""
        account, region = str(event.get("account") or ""), str(event.get("region") or "")
        return [r for r in self.rules(account, region) if r.enabled and matches(r.pattern, event)]

    def environment(self, logical_id: str) -> dict[str, str]:
        """A function's Environment.Variables as the deployed function would read them."""
        resource = self.template.resources().get(logical_id) or {}
        variables = (resource.get("Properties") or {}).get("Environment", {}).get("Variables")
        resolved = self._resolve(variables or {}, "", "")
        return {str(k): _text(v) for k, v in resolved.items()}

    def deployed(self, logical_id: str) -> bool:
        """Whether the resource exists under these parameters (its Condition holds)."""
        return logical_id in self.template.resources()

    def _read(self, account: str, region: str) -> list[Rule]:
        rules = []
        for logical_id, resource in self.template.resources().items():
            props = resource.get("Properties") or {}
            if resource.get("Type") == "AWS::Events::Rule" and "EventPattern" in props:
                resolved = self._resolve(props, account, region)
                for target in resolved.get("Targets") or []:
                    rules.append(
                        Rule(
                            logical_id,
                            str(target.get("Id", "")),
                            _pattern(resolved["EventPattern"]),
                            str(resolved.get("State", "ENABLED")).upper() == "ENABLED",
                        )
                    )
            for name, event in (props.get("Events") or {}).items():
                if event.get("Type") not in _RULE_EVENTS:
                    continue
                resolved = self._resolve(event.get("Properties") or {}, account, region)
                if resolved.get("Pattern") is None:
                    continue
                enabled = resolved.get("Enabled", True) not in (False, "false") and str(
                    resolved.get("State", "ENABLED")
                ).upper() in ("ENABLED", "")
                rules.append(
                    Rule(f"{logical_id}.{name}", logical_id, _pattern(resolved["Pattern"]), enabled)
                )
        return rules

    def _resolve(self, value: Any, account: str, region: str) -> Any:
        template = self.template
        if account or region:
            template = dataclasses.replace(
                template, account=account or template.account, region=region or template.region
            )
        account = str(template.pseudo("AWS::AccountId"))
        region = str(template.pseudo("AWS::Region"))
        resources = template.resources()

        def ref(logical_id: str) -> str:
            resource = resources.get(logical_id) or {}
            if resource.get("Type") == "AWS::SecurityHub::ActionTarget":
                target_id = (resource.get("Properties") or {}).get("Id", logical_id)
                return f"arn:aws:securityhub:{region}:{account}:action/custom/{target_id}"
            return f"arn:aws:local:{region}:{account}:{logical_id}"

        def att(logical_id: str, attribute: str) -> str:
            return f"{ref(logical_id)}/{attribute}"

        return template.resolve(value, ref=ref, att=att)


@dataclass
class StackTemplate(Template):
    """The template as deployed in one account and region (the pseudo parameters a rule's
    ARNs are built from); the local cloud's defaults when empty."""

    account: str = ""
    region: str = ""

    def pseudo(self, name: str) -> Any:
        """``AWS::AccountId`` / ``AWS::Region`` of this stack; the rest as Template."""
        if name == "AWS::AccountId" and self.account:
            return self.account
        if name == "AWS::Region" and self.region:
            return self.region
        return super().pseudo(name)


def _pattern(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(_text(item) for item in value)
    return str(value)


def why_not(pattern: dict[str, Any], event: Any, path: str = "") -> str:
    """The first field of ``event`` that keeps ``pattern`` from matching, said in one line
    (``detail.severity is 2; the rule wants [{"numeric": [">=", 4]}]``); "" if it matches."""
    target = event
    if isinstance(target, list):  # an array of objects: explain against its first object
        target = next((item for item in target if isinstance(item, dict)), {})
    for key, sub in pattern.items():
        if key == "$or":
            if not any(matches(alternative, target) for alternative in sub):
                return f"{path or 'the event'} matches none of {json.dumps(sub)}"
            continue
        if matches({key: sub}, target if isinstance(target, dict) else {}):
            continue
        where = f"{path}.{key}" if path else key
        value = target.get(key, _MISSING) if isinstance(target, dict) else _MISSING
        if isinstance(sub, dict) and value is not _MISSING:
            inner = why_not(sub, value, where)
            if inner:
                return inner
        shown = "missing" if value is _MISSING else f"{json.dumps(value)[:80]}"
        return f"{where} is {shown}; the rule wants {json.dumps(sub)}"
    return ""

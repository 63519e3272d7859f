"""The stack lookups a ``LocalCloud`` offers (Ref, GetAtt, resolving values), delegated to
its ``Stack``; kept apart so the facade stays one screen of assembly."""

from __future__ import annotations

from typing import Any

from edgeguard_tools.local.stack import Stack
from edgeguard_tools.local.template import Template


class StackLookups:
    """Mixin: what CloudFormation's intrinsics give, read from ``self._stack``."""

    _stack: Stack

    @property
    def template(self) -> Template:
        """The loaded template (parameters and conditions decided)."""
        return self._stack.template

    @property
    def physical(self) -> dict[str, Any]:
        """Logical id -> ``Physical`` (Ref and GetAtt values) of every resource."""
        return self._stack.physical

    @property
    def skipped(self) -> dict[str, str]:
        """What is not emulated or delivered locally, with the reason."""
        return self._stack.skipped

    def resource(self, logical_id: str) -> Any:
        """Physical name or ARN, what ``!Ref`` gives in CloudFormation."""
        return self._stack.resource(logical_id)

    def attribute(self, logical_id: str, name: str) -> Any:
        """What ``!GetAtt logical_id.name`` gives."""
        return self._stack.attribute(logical_id, name)

    def resolve(self, value: Any) -> Any:
        """Resolve intrinsics and dynamic references against this cloud's resources."""
        return self._stack.resolve(value)

    def logical_for(self, value: Any) -> str:
        """The logical id behind a physical name/ARN/URL (or a literal ARN in the template)."""
        return self._stack.logical_for(value)

    def kind_of(self, logical_id: str) -> str:
        """``function``, ``statemachine``, ``topic``, ``queue`` or ``unknown``."""
        return self._stack.kind_of(logical_id)

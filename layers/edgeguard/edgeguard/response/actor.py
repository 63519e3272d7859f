"""Who did it: the identity behind a CloudTrail API call or a GuardDuty finding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    """The caller, in the words the team needs to find and contain them."""

    type: str = ""
    arn: str = ""
    principal_id: str = ""
    access_key_id: str = ""
    issuer_arn: str = ""
    user_name: str = ""
    invoked_by: str = ""

    @classmethod
    def from_user_identity(cls, identity: Any) -> Actor:
        """CloudTrail ``userIdentity`` (IAMUser, AssumedRole, Root, AWSService, ...)."""
        if not isinstance(identity, dict):
            return cls()
        session = identity.get("sessionContext")
        issuer = session.get("sessionIssuer") if isinstance(session, dict) else None
        issuer = issuer if isinstance(issuer, dict) else {}
        return cls(
            type=_text(identity.get("type")),
            arn=_text(identity.get("arn")),
            principal_id=_text(identity.get("principalId")),
            access_key_id=_text(identity.get("accessKeyId")),
            issuer_arn=_text(issuer.get("arn")),
            user_name=_text(identity.get("userName") or issuer.get("userName")),
            invoked_by=_text(identity.get("invokedBy")),
        )

    @classmethod
    def from_access_key_details(cls, details: Any) -> Actor:
        """GuardDuty ``resource.accessKeyDetails``."""
        if not isinstance(details, dict):
            return cls()
        return cls(
            type=_text(details.get("userType")),
            principal_id=_text(details.get("principalId")),
            access_key_id=_text(details.get("accessKeyId")),
            user_name=_text(details.get("userName")),
        )

    def label(self) -> str:
        """One line naming the caller: ARN when known, else what there is."""
        who = self.arn or self.user_name or self.principal_id or "unknown caller"
        return f"{who} ({self.type})" if self.type else who

    def fields(self) -> dict[str, str]:
        """The alert fields that identify the caller (empty ones left out)."""
        items = {
            "actor": self.label(),
            "principal id": self.principal_id,
            "access key": self.access_key_id,
            "role (session issuer)": self.issuer_arn,
            "invoked by": self.invoked_by,
        }
        return {key: value for key, value in items.items() if value}

    def to_dict(self) -> dict[str, str]:
        """All fields as a JSON-ready dict of strings (empty when unknown)."""
        return {
            "type": self.type,
            "arn": self.arn,
            "principal_id": self.principal_id,
            "access_key_id": self.access_key_id,
            "issuer_arn": self.issuer_arn,
            "user_name": self.user_name,
            "invoked_by": self.invoked_by,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Actor:
        """The inverse of ``to_dict``; anything that is not a dict gives an empty Actor, and
        missing or non-string fields become "".
        """
        if not isinstance(data, dict):
            return cls()
        return cls(**{key: _text(data.get(key)) for key in cls.__dataclass_fields__})


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""

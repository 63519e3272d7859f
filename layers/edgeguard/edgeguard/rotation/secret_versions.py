"""Secrets Manager side of the rotation: the documented guard, versions and staging labels."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from edgeguard.rotation.errors import RotationError

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

CURRENT = "AWSCURRENT"
PENDING = "AWSPENDING"
STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
VALUE_LENGTH = 48


@dataclass(frozen=True)
class RotationEvent:
    """What Secrets Manager sends the rotation function."""

    step: str
    secret_id: str
    token: str

    @classmethod
    def parse(cls, event: dict[str, Any]) -> RotationEvent:
        """Validate the event; a malformed one gets a clear error naming the field.

        ``event`` is what Secrets Manager sends: ``Step``, ``SecretId``,
        ``ClientRequestToken`` ("AWS Secrets Manager User Guide: Lambda rotation functions").

        Raises:
            RotationError: not an object, a field missing or empty, or an unknown step.
        """
        if not isinstance(event, dict):
            raise RotationError("rotation event must be a JSON object")
        values = {}
        for key in ("Step", "SecretId", "ClientRequestToken"):
            value = event.get(key)
            if not isinstance(value, str) or not value.strip():
                raise RotationError(f"rotation event has no {key}")
            values[key] = value.strip()
        if values["Step"] not in STEPS:
            raise RotationError(f"unknown rotation step {values['Step']!r}")
        return cls(values["Step"], values["SecretId"], values["ClientRequestToken"])


def check_staging(sm: SecretsManagerClient, event: RotationEvent) -> bool:
    """Secrets Manager's documented guard. Returns False when there is nothing to do.

    Rotation must be enabled; the token must be a version of this secret; a token that is
    already AWSCURRENT means this rotation finished (nothing to do); otherwise the token
    must be staged AWSPENDING.

    Raises:
        RotationError: any of those conditions fails.
        botocore.exceptions.ClientError: DescribeSecret failed.
    """
    metadata = sm.describe_secret(SecretId=event.secret_id)
    if not metadata.get("RotationEnabled"):
        raise RotationError(f"secret {metadata.get('Name', '?')} is not enabled for rotation")
    versions = metadata.get("VersionIdsToStages") or {}
    if event.token not in versions:
        raise RotationError(f"version {event.token} has no stage for rotation of the secret")
    if CURRENT in versions[event.token]:
        return False
    if PENDING not in versions[event.token]:
        raise RotationError(f"version {event.token} is not set as AWSPENDING for rotation")
    return True


def current_value(sm: SecretsManagerClient, secret_id: str) -> str:
    """The AWSCURRENT header value."""
    return validate_value(sm.get_secret_value(SecretId=secret_id, VersionStage=CURRENT))


def pending_value(sm: SecretsManagerClient, secret_id: str, token: str) -> str:
    """The AWSPENDING value of this rotation's version."""
    response = sm.get_secret_value(SecretId=secret_id, VersionId=token, VersionStage=PENDING)
    return validate_value(response)


MAX_VALUE_LENGTH = 200  # bytes = characters: the value is printable ASCII


def validate_value(response: Mapping[str, Any]) -> str:
    """A header value: printable ASCII without spaces (what CloudFront and WAF accept).

    ``response`` is a GetSecretValue response. Accepts at most 200 characters: the
    origin web ACL matches the value with a string match whose search string holds at
    most 200 bytes ("AWS WAF API Reference: ByteMatchStatement"), tighter than
    CloudFront's 1,783-character custom header limit. Raises RotationError for no
    string value or an invalid one; the message never holds the value.
    """
    value = response.get("SecretString")
    if not isinstance(value, str) or not value:
        raise RotationError("the secret version holds no string value")
    if not all(33 <= ord(ch) <= 126 for ch in value) or len(value) > MAX_VALUE_LENGTH:
        raise RotationError("the secret value is not a valid HTTP header value")
    return value


def create_pending(sm: SecretsManagerClient, event: RotationEvent) -> bool:
    """createSecret: put a new AWSPENDING value under this token, unless one exists.

    Returns True when a value was created, False when this token's version was reused.
    """
    current_value(sm, event.secret_id)  # the secret must have a current value to rotate from
    try:
        pending_value(sm, event.secret_id, event.token)
        return False
    except sm.exceptions.ResourceNotFoundException:
        pass
    password = sm.get_random_password(
        PasswordLength=VALUE_LENGTH, ExcludePunctuation=True, IncludeSpace=False
    )["RandomPassword"]
    sm.put_secret_value(
        SecretId=event.secret_id,
        ClientRequestToken=event.token,
        SecretString=password,
        VersionStages=[PENDING],
    )
    return True


def finish(sm: SecretsManagerClient, event: RotationEvent) -> bool:
    """finishSecret: move AWSCURRENT to this token's version. Returns False if it already was."""
    metadata = sm.describe_secret(SecretId=event.secret_id)
    versions = metadata.get("VersionIdsToStages") or {}
    current_version = next((v for v, stages in versions.items() if CURRENT in stages), None)
    moved = current_version != event.token
    if moved:
        move: dict[str, str] = {"MoveToVersionId": event.token}
        if current_version:
            move["RemoveFromVersionId"] = current_version
        sm.update_secret_version_stage(SecretId=event.secret_id, VersionStage=CURRENT, **move)
    if PENDING in versions.get(event.token, []):
        # End state Secrets Manager expects: no AWSPENDING left on a version (a later
        # RotateSecret would otherwise take this rotation for one still in progress).
        sm.update_secret_version_stage(
            SecretId=event.secret_id, VersionStage=PENDING, RemoveFromVersionId=event.token
        )
    return moved

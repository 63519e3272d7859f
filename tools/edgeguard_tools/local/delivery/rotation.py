"""Secrets Manager rotation: a rotation function driven through its four steps.

``SecretRotation.rotate(secret)`` does what RotateSecret does for a secret with a rotation
schedule: stage an empty AWSPENDING version (refused while a previous rotation is still
pending), then invoke the function with createSecret, setSecret, testSecret and
finishSecret, each step retried (once by default) before ``RotationFailed``.
``configure_rotation`` leaves on the secret what AWS::SecretsManager::RotationSchedule
does. moto's own RotateSecret cannot be used: see ``stage_pending_version``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from edgeguard_tools.local.template import ACCOUNT_ID, REGION
from edgeguard_tools.local.wiring import Rotation, Wiring

STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")


class RotationFailed(RuntimeError):
    """A rotation step still failed after Secrets Manager's retry."""


@dataclass
class RotationReport:
    """One rotation: its ClientRequestToken (the new version id) and each step's attempts."""

    token: str
    steps: list[tuple[str, int]] = field(default_factory=list)  # (step, attempts)


class SecretRotation:
    """Rotates the template's secrets with their rotation functions.

    ``wiring().rotations`` gives the rotation schedules; ``resource(logical_id)`` the
    secret's ARN; ``call(function, event, source)`` runs a function synchronously;
    ``record_failure(function, source, event, error)`` keeps a failed attempt.
    """

    def __init__(
        self,
        wiring: Callable[[], Wiring],
        resource: Callable[[str], Any],
        call: Callable[[str, Any, str], Any],
        record_failure: Callable[[str, str, Any, BaseException], None],
    ) -> None:
        self._wiring = wiring
        self._resource = resource
        self._call = call
        self._record_failure = record_failure

    def rotate(self, logical_id: str, retries: int = 1) -> RotationReport:
        """Drive the rotation function through its four steps as Secrets Manager does.

        ``KeyError`` when the secret has no rotation schedule; ``RotationFailed`` when a
        previous rotation is still pending or a step failed ``retries + 1`` times.
        """
        rotation = next((r for r in self._wiring().rotations if r.secret == logical_id), None)
        if rotation is None:
            raise KeyError(
                f"{logical_id} has no AWS::SecretsManager::RotationSchedule in the template"
            )
        secret_arn = self._resource(logical_id)
        token = str(uuid.uuid4())
        report = RotationReport(token)
        stage_pending_version(secret_arn, token)
        for step in STEPS:
            event = {
                "Step": step,
                "SecretId": secret_arn,
                "ClientRequestToken": token,
                "RotationToken": str(uuid.uuid4()),
            }
            for attempt in range(1, retries + 2):
                try:
                    self._call(rotation.function, event, f"rotation {logical_id}")
                    report.steps.append((step, attempt))
                    break
                except Exception as error:
                    self._record_failure(
                        rotation.function, f"rotation {logical_id} {step}", event, error
                    )
                    if attempt > retries:
                        raise RotationFailed(
                            f"{step} failed {attempt} time(s): {error!r}"
                        ) from error
        return report


def configure_rotations(
    rotations: list[Rotation], resource: Callable[[str], Any], function_arn: Callable[[str], Any]
) -> None:
    """Configure every scheduled secret (``configure_rotation``); days from a rate schedule.

    ``resource(secret)`` gives a secret's ARN, ``function_arn(function)`` a function's.
    """
    for rotation in rotations:
        days = 30
        if rotation.schedule and rotation.schedule.rate_minutes:
            days = max(1, rotation.schedule.rate_minutes // 1440)
        configure_rotation(resource(rotation.secret), function_arn(rotation.function), days)


def _moto_secret(secret_arn: str) -> Any:
    from moto.secretsmanager.models import secretsmanager_backends  # noqa: PLC0415 - moto internals

    return secretsmanager_backends[ACCOUNT_ID][REGION].secrets[secret_arn]


def configure_rotation(secret_arn: str, function_arn: str, days: int) -> None:
    """What the deployed AWS::SecretsManager::RotationSchedule leaves on the secret."""
    secret = _moto_secret(secret_arn)
    secret.rotation_requested = True
    secret.rotation_enabled = True
    secret.rotation_lambda_arn = function_arn
    secret.auto_rotate_after_days = days


def stage_pending_version(secret_arn: str, token: str) -> None:
    """What RotateSecret does before it invokes the function: AWSPENDING on an empty version.

    moto's RotateSecret cannot be used here: with a Lambda ARN it runs the function in
    Docker, without one it promotes the new (empty) version to AWSCURRENT at once. So
    the local cloud stages the version on moto's backend the way Secrets Manager does
    and then drives the four steps itself. ``RotationFailed`` while a version other than
    the current one is still AWSPENDING.
    """
    secret = _moto_secret(secret_arn)
    for version_id, version in secret.versions.items():
        stages = version["version_stages"]
        if "AWSPENDING" in stages and "AWSCURRENT" not in stages:
            raise RotationFailed(
                f"a previous rotation is still in progress (AWSPENDING is on {version_id})"
            )
    secret.remove_version_stages_from_old_versions(["AWSPENDING"])
    secret.versions[token] = {
        "createdate": int(time.time()),
        "version_id": token,
        "version_stages": ["AWSPENDING"],
    }
    secret.last_rotation_date = int(time.time())

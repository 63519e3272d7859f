"""Secrets Manager: after UpdateSecretVersionStage moves AWSCURRENT, GetSecretValue follows.

moto 5.2.5 moves the AWSCURRENT label in UpdateSecretVersionStage but keeps its own
``default_version_id`` on the old version, so GetSecretValue without VersionId or
VersionStage still answers the old value after a rotation's finishSecret step. Here
the default follows the label, as in AWS.
"""

from __future__ import annotations

from typing import Any

from moto.secretsmanager.models import FakeSecret, SecretsManagerBackend

from edgeguard_tools.local.moto_ext._registry import attach, original


def _update_secret_version_stage(
    self: SecretsManagerBackend,
    secret_id: str,
    version_stage: str,
    remove_from_version_id: str,
    move_to_version_id: str,
) -> Any:
    result = original(SecretsManagerBackend, "update_secret_version_stage")(
        self, secret_id, version_stage, remove_from_version_id, move_to_version_id
    )
    secret = self.secrets[secret_id]
    # only a primary (FakeSecret) holds versions; a ReplicaSecret reads its source's
    if version_stage == "AWSCURRENT" and move_to_version_id and isinstance(secret, FakeSecret):
        secret.set_default_version_id(move_to_version_id)
        secret.secret_string = secret.versions[move_to_version_id].get("secret_string")
        secret.secret_binary = secret.versions[move_to_version_id].get("secret_binary")
    return result


def install() -> None:
    original(SecretsManagerBackend, "update_secret_version_stage")
    attach(SecretsManagerBackend, {"update_secret_version_stage": _update_secret_version_stage})

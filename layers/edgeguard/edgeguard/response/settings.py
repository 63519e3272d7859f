"""Configuration of the response functions, read once at cold start."""

from __future__ import annotations

from dataclasses import dataclass

from edgeguard.config import ConfigError, optional, require
from edgeguard.response.trail import InvalidTrail, ProtectedTrails


@dataclass(frozen=True)
class ResponseSettings:
    """The response functions' environment: region, alerts topic, protected trails, the
    suite's own role ARNs, the snapshot table (may be "") and whether configuration is
    restored.
    """

    region: str
    alerts_topic_arn: str
    protected: ProtectedTrails
    suite_role_arns: frozenset[str]
    snapshot_table: str
    restore_configuration: bool

    @classmethod
    def from_env(cls) -> ResponseSettings:
        """Read AWS_REGION (or AWS_DEFAULT_REGION) and ALERTS_TOPIC_ARN (required),
        PROTECTED_TRAILS (comma list, default ``*``), SUITE_ROLE_ARNS (comma list),
        TRAIL_SNAPSHOT_TABLE and RESTORE_TRAIL_CONFIGURATION (``true`` unless set to
        anything else).

        Raises:
            ConfigError: a required variable is missing, or PROTECTED_TRAILS names an
                invalid trail.
        """
        try:
            protected = ProtectedTrails.parse(optional("PROTECTED_TRAILS", "*"))
        except InvalidTrail as error:
            raise ConfigError(f"environment variable PROTECTED_TRAILS: {error}") from error
        roles = optional("SUITE_ROLE_ARNS")
        return cls(
            region=require("AWS_REGION")
            if optional("AWS_REGION")
            else require("AWS_DEFAULT_REGION"),
            alerts_topic_arn=require("ALERTS_TOPIC_ARN"),
            protected=protected,
            suite_role_arns=frozenset(r.strip() for r in roles.split(",") if r.strip()),
            snapshot_table=optional("TRAIL_SNAPSHOT_TABLE"),
            restore_configuration=optional("RESTORE_TRAIL_CONFIGURATION", "true").lower() == "true",
        )

"""Configuration of the response functions, read once at cold start."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from edgeguard.config import ConfigError, boolean, optional, require
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
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ResponseSettings:
        """Read AWS_REGION (or AWS_DEFAULT_REGION) and ALERTS_TOPIC_ARN (required),
        PROTECTED_TRAILS (comma list, default ``*``), SUITE_ROLE_ARNS (comma list),
        TRAIL_SNAPSHOT_TABLE and RESTORE_TRAIL_CONFIGURATION (a boolean, default true) from
        ``environ`` (default ``os.environ``).

        Raises:
            ConfigError: a required variable is missing, PROTECTED_TRAILS names an
                invalid trail, or RESTORE_TRAIL_CONFIGURATION is not a boolean.
        """
        try:
            protected = ProtectedTrails.parse(optional("PROTECTED_TRAILS", "*", environ))
        except InvalidTrail as error:
            raise ConfigError(f"environment variable PROTECTED_TRAILS: {error}") from error
        roles = optional("SUITE_ROLE_ARNS", "", environ)
        return cls(
            region=require("AWS_REGION", environ)
            if optional("AWS_REGION", "", environ)
            else require("AWS_DEFAULT_REGION", environ),
            alerts_topic_arn=require("ALERTS_TOPIC_ARN", environ),
            protected=protected,
            suite_role_arns=frozenset(r.strip() for r in roles.split(",") if r.strip()),
            snapshot_table=optional("TRAIL_SNAPSHOT_TABLE", "", environ),
            restore_configuration=boolean("RESTORE_TRAIL_CONFIGURATION", True, environ),
        )

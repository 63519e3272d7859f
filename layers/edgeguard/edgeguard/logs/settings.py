"""Detection scenarios and their shipped defaults; an operator overrides any of them.

Every scenario is a leaky bucket per client over the log's own timestamps: each
matching request pours ``1`` in, the bucket drains ``leak_per_minute`` per minute,
and the client is decided against once the level exceeds ``capacity``. So
``capacity + 1`` matching requests in a burst trigger (capacity 0: the first one),
and a client that stays below the drain rate never does, however long it keeps going.
Why each default is what it is: docs/detection.md.

Overrides are JSON, e.g. ``{"request_flood": {"capacity": 1200}, "scanner_user_agent":
{"enabled": false}, "sqli_probing": {"action": "captcha"}}``: from the
``DETECTION_OVERRIDES`` environment variable (template parameter
``LogDetectionOverrides``) in Lambda, or ``edgeguard replay --config FILE``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from typing import Any

from edgeguard.decisions import ACTIONS
from edgeguard.errors import EdgeguardError


class SettingsError(EdgeguardError, ValueError):
    """Overrides that cannot be applied; the message names the scenario and field."""


@dataclass(frozen=True)
class Scenario:
    """One detection scenario's tunables."""

    name: str
    description: str
    capacity: float
    leak_per_minute: float
    ban_minutes: int
    action: str = "ban"
    enabled: bool = True
    # A client's events in one file are kept for cross-file aggregation only from
    # this many on (1 = always; the flood scenario would otherwise track everyone).
    track_min_per_file: int = 1
    # Paths that count for this scenario whatever the method (auth_bruteforce: login
    # endpoints); ``*`` matches within one path segment, matching ignores case.
    paths: tuple[str, ...] = ()

    @property
    def leak_per_second(self) -> float:
        """The drain rate in events per second (``leak_per_minute / 60``)."""
        return self.leak_per_minute / 60.0

    @property
    def duration(self) -> timedelta:
        """How long a decision from this scenario lasts (``ban_minutes``)."""
        return timedelta(minutes=self.ban_minutes)


# Endpoints where a 401/403 to any method is a failed login (HTTP basic auth, SSO
# callbacks); POST, PUT and PATCH failures count on every path.
LOGIN_PATHS: tuple[str, ...] = (
    "/login",
    "/signin",
    "/sign-in",
    "/logon",
    "/auth/login",
    "/user/login",
    "/users/sign_in",
    "/account/login",
    "/admin",
    "/admin/login",
    "/administrator",
    "/wp-login.php",
    "/wp-admin",
    "/xmlrpc.php",
    "/j_security_check",
    "/oauth/token",
    "/oauth2/token",
    "/api/*/login",
    "/api/*/auth/login",
    "/api/login",
    "/api/auth/login",
    "/manager/html",
)

DEFAULT_SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "path_probing",
        "many distinct 4xx paths (not static assets) in a short time: content discovery",
        capacity=30,
        leak_per_minute=6,
        ban_minutes=240,
    ),
    Scenario(
        "sensitive_files",
        "requests for secrets and internals: /.env, /.git/, backups, credentials, status pages",
        capacity=2,
        leak_per_minute=0.2,
        ban_minutes=1440,
    ),
    Scenario(
        "path_traversal",
        "../ sequences (plain, encoded, double-encoded) or OS files in path or query",
        capacity=1,
        leak_per_minute=0.1,
        ban_minutes=1440,
    ),
    Scenario(
        "sqli_probing",
        "SQL injection payloads in path or query",
        capacity=2,
        leak_per_minute=0.2,
        ban_minutes=1440,
    ),
    Scenario(
        "xss_probing",
        "cross-site scripting payloads in path or query",
        capacity=2,
        leak_per_minute=0.2,
        ban_minutes=1440,
    ),
    Scenario(
        "scanner_user_agent",
        "user agent of a known vulnerability scanner (sqlmap, Nikto, Nuclei, masscan, ...)",
        capacity=0,
        leak_per_minute=1,
        ban_minutes=1440,
    ),
    Scenario(
        "request_flood",
        "one client repeating the same request (method and path) many times a second for "
        "about a minute (static assets and 304s excluded)",
        capacity=480,
        leak_per_minute=480,
        ban_minutes=60,
        track_min_per_file=100,
    ),
    Scenario(
        "auth_bruteforce",
        "many 401/403 answers to credential submissions (POST, PUT, PATCH) or login paths",
        capacity=20,
        leak_per_minute=5,
        ban_minutes=240,
        paths=LOGIN_PATHS,
    ),
    Scenario(
        "waf_blocked",
        "a client that WAF keeps blocking (WAF logs, action BLOCK)",
        capacity=10,
        leak_per_minute=2,
        ban_minutes=240,
    ),
)

# The scenarios whose events depend on ``paths``; setting it elsewhere is refused.
PATH_SCENARIOS = frozenset({"auth_bruteforce"})
_TUNABLE = {
    "capacity",
    "leak_per_minute",
    "ban_minutes",
    "action",
    "enabled",
    "track_min_per_file",
    "paths",
}


@dataclass(frozen=True)
class DetectionSettings:
    """The scenarios in force (defaults merged with overrides)."""

    scenarios: tuple[Scenario, ...] = field(default=DEFAULT_SCENARIOS)

    def get(self, name: str) -> Scenario:
        """The scenario called ``name``, enabled or not.

        Raises KeyError for an unknown name.
        """
        for scenario in self.scenarios:
            if scenario.name == name:
                return scenario
        raise KeyError(name)

    @property
    def enabled(self) -> tuple[Scenario, ...]:
        """The scenarios that run, in their declared order."""
        return tuple(s for s in self.scenarios if s.enabled)

    @classmethod
    def from_json(cls, text: str | None) -> DetectionSettings:
        """Defaults with the JSON overrides applied; empty text means defaults.

        Raises:
            SettingsError: the text is not JSON, or see ``with_overrides``.
        """
        if not text or not text.strip():
            return cls()
        try:
            overrides = json.loads(text)
        except json.JSONDecodeError as error:
            raise SettingsError(f"detection overrides are not valid JSON: {error}") from None
        return cls().with_overrides(overrides)

    def with_overrides(self, overrides: Any) -> DetectionSettings:
        """These settings with ``overrides`` (``{scenario name: {field: value}}``) applied.

        Tunable fields: capacity (events, >= 0; 0 decides on the first event),
        leak_per_minute (events per minute), ban_minutes, action (one of
        ``decisions.ACTIONS``), enabled (bool), track_min_per_file, paths (a list of
        paths starting with ``/``; ``*`` matches within one segment).

        Raises:
            SettingsError: not an object, an unknown scenario or field, or a value of the
                wrong kind (numbers must be positive, capacity may be 0; ban_minutes and
                track_min_per_file whole; paths a list of strings starting with ``/``).
        """
        if not isinstance(overrides, dict):
            raise SettingsError("detection overrides must be a JSON object of scenario names")
        known = {s.name for s in self.scenarios}
        unknown = set(overrides) - known
        if unknown:
            raise SettingsError(
                f"unknown scenario(s) {', '.join(sorted(unknown))}; "
                f"known: {', '.join(sorted(known))}"
            )
        result = []
        for scenario in self.scenarios:
            change = overrides.get(scenario.name, {})
            if not isinstance(change, dict):
                raise SettingsError(f"{scenario.name}: overrides must be an object")
            result.append(_apply(scenario, change))
        return DetectionSettings(tuple(result))

    def table(self) -> list[dict[str, Any]]:
        """The settings as rows (README, ``replay --show-settings``)."""
        return [{f.name: getattr(s, f.name) for f in fields(s)} for s in self.scenarios]


def _apply(scenario: Scenario, change: dict[str, Any]) -> Scenario:
    bad = set(change) - _TUNABLE
    if bad:
        raise SettingsError(
            f"{scenario.name}: cannot set {', '.join(sorted(bad))}; "
            f"tunable: {', '.join(sorted(_TUNABLE))}"
        )
    values: dict[str, Any] = {}
    for key, given in change.items():
        value = given
        if key == "action":
            if value not in ACTIONS:
                raise SettingsError(f"{scenario.name}.action must be one of {', '.join(ACTIONS)}")
        elif key == "enabled":
            if not isinstance(value, bool):
                raise SettingsError(f"{scenario.name}.enabled must be true or false")
        elif key == "paths":
            if scenario.name not in PATH_SCENARIOS:
                raise SettingsError(
                    f"{scenario.name}.paths: only {', '.join(sorted(PATH_SCENARIOS))} reads paths"
                )
            if not isinstance(value, list) or not all(
                isinstance(path, str) and path.startswith("/") and "\n" not in path
                for path in value
            ):
                raise SettingsError(
                    f"{scenario.name}.paths must be a list of paths starting with /"
                )
            value = tuple(value)
        elif (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or value < 0
            or (value == 0 and key != "capacity")
            or (key in {"ban_minutes", "track_min_per_file"} and int(value) != value)
        ):
            kind = "a number >= 0" if key == "capacity" else "a positive number"
            raise SettingsError(f"{scenario.name}.{key} must be {kind}")
        if key in {"ban_minutes", "track_min_per_file"}:
            value = int(value)
        values[key] = value
    return replace(scenario, **values)

"""One way to read settings: booleans and durations from config, every from_env takes a mapping."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import boto3
import pytest

import edgeguard
from edgeguard import idempotency
from edgeguard.alarms.service import CollectSettings, record_settings_from_env
from edgeguard.blocklist.service import ImportSettings
from edgeguard.chatops.service import WebhookSettings
from edgeguard.config import ConfigError, boolean, duration, duration_unit
from edgeguard.decisions.store import DynamoDecisionStore
from edgeguard.findings.service import FindingSettings, OcsfSettings
from edgeguard.hunt.service import HuntSettings
from edgeguard.logs.service import AnalyzerConfig
from edgeguard.notify.digest import DigestSettings
from edgeguard.notify.service import NotifierSettings
from edgeguard.response.settings import ResponseSettings
from edgeguard.rotation.service import RotationSettings
from edgeguard.waf.service import EnforcerSettings

TOPIC = "arn:aws:sns:eu-west-1:123456789012:from-the-mapping"
IP_SET = "arn:aws:wafv2:us-east-1:123456789012:global/ipset/{name}/0000-1111"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        (" True ", True),
        ("yes", True),
        ("YES", True),
        ("on", True),
        ("On", True),
        ("1", True),
        ("false", False),
        ("FALSE", False),
        ("no", False),
        ("No", False),
        ("off", False),
        ("OFF", False),
        ("0", False),
    ],
)
def test_booleans_accept_the_usual_spellings(text: str, expected: bool) -> None:
    assert boolean("FLAG", not expected, {"FLAG": text}) is expected


def test_an_unset_or_empty_boolean_is_the_default() -> None:
    assert boolean("FLAG", True, {}) is True
    assert boolean("FLAG", False, {"FLAG": "  "}) is False


@pytest.mark.parametrize("text", ["maybe", "truee", "2", "y", "enabled", "-1"])
def test_a_bad_boolean_names_the_variable(text: str) -> None:
    with pytest.raises(ConfigError, match=r"environment variable DRY_RUN must be true or false"):
        boolean("DRY_RUN", False, {"DRY_RUN": text})


def test_restore_trail_configuration_yes_now_reads_as_true() -> None:
    """It used to compare with "true" only: "yes" switched restoring off without a word."""
    base = {"AWS_REGION": "eu-west-1", "ALERTS_TOPIC_ARN": TOPIC}
    for text, expected in (("yes", True), ("on", True), ("no", False), ("False", False)):
        env = {**base, "RESTORE_TRAIL_CONFIGURATION": text}
        assert ResponseSettings.from_env(env).restore_configuration is expected
    assert ResponseSettings.from_env(base).restore_configuration is True
    with pytest.raises(ConfigError, match="RESTORE_TRAIL_CONFIGURATION"):
        ResponseSettings.from_env({**base, "RESTORE_TRAIL_CONFIGURATION": "sometimes"})


def test_dry_run_reads_the_same_on_both_blocking_paths() -> None:
    for text, expected in (("yes", True), ("on", True), ("0", False), ("OFF", False)):
        finding = FindingSettings.from_env({"ALERTS_TOPIC_ARN": TOPIC, "DRY_RUN": text})
        alarm = record_settings_from_env({"DRY_RUN": text})
        assert finding.block.dry_run is expected
        assert alarm.dry_run is expected
    with pytest.raises(ConfigError, match="DRY_RUN"):
        record_settings_from_env({"DRY_RUN": "perhaps"})


def test_a_duration_is_counted_in_the_unit_its_name_ends_in() -> None:
    assert duration("BAN_MINUTES", timedelta(hours=1), {"BAN_MINUTES": "90"}) == timedelta(
        minutes=90
    )
    assert duration("WAIT_SECONDS", timedelta(0), {"WAIT_SECONDS": "2.5"}) == timedelta(seconds=2.5)
    assert duration("WINDOW_HOURS", timedelta(0), {"WINDOW_HOURS": "24"}) == timedelta(days=1)
    assert duration("KEEP_DAYS", timedelta(0), {"KEEP_DAYS": "7"}) == timedelta(weeks=1)
    assert duration("BAN_MINUTES", timedelta(hours=1), {}) == timedelta(hours=1)
    assert duration("BAN_MINUTES", timedelta(hours=1), {"BAN_MINUTES": ""}) == timedelta(hours=1)


def test_a_duration_variable_must_say_its_unit() -> None:
    assert duration_unit("probe_timeout_seconds") == "seconds"
    with pytest.raises(ValueError, match="BAN_TIME"):
        duration("BAN_TIME", timedelta(0), {})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("soon", "BAN_MINUTES must be a number of minutes, got 'soon'"),
        ("nan", "BAN_MINUTES must be a number of minutes"),
        ("inf", "BAN_MINUTES must be a number of minutes"),
        ("0", "BAN_MINUTES must be at least 1 minutes"),
        ("-5", "BAN_MINUTES must be at least 1 minutes"),
        ("525601", "BAN_MINUTES must be at most 525600 minutes"),
        ("1e300", "BAN_MINUTES is too long"),
    ],
)
def test_a_bad_duration_names_the_variable_and_its_range(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        duration(
            "BAN_MINUTES",
            timedelta(hours=4),
            {"BAN_MINUTES": text},
            minimum=timedelta(minutes=1),
            maximum=timedelta(days=365),
        )


def test_ban_minutes_is_validated_on_both_blocking_paths() -> None:
    finding = FindingSettings.from_env({"ALERTS_TOPIC_ARN": TOPIC, "BAN_MINUTES": "90"})
    assert finding.block.duration == timedelta(minutes=90)
    assert record_settings_from_env({"BAN_MINUTES": "525600"}).duration == timedelta(days=365)
    with pytest.raises(ConfigError, match="BAN_MINUTES"):
        FindingSettings.from_env({"ALERTS_TOPIC_ARN": TOPIC, "BAN_MINUTES": "0"})
    with pytest.raises(ConfigError, match="BAN_MINUTES"):
        record_settings_from_env({"BAN_MINUTES": "a day"})


def test_bad_detection_overrides_name_the_variable() -> None:
    env = {"DETECTION_STATE_TABLE": "state", "DECISIONS_TABLE": "decisions"}
    for bad in ("{not json", '{"no_such_scenario": {}}', '{"sqli_probing": {"capacity": -1}}'):
        with pytest.raises(ConfigError, match="DETECTION_OVERRIDES"):
            AnalyzerConfig.from_env({**env, "DETECTION_OVERRIDES": bad})


def test_rotation_waits_are_seconds_in_range() -> None:
    env = {"ORIGIN_WEB_ACL_ARN": "arn", "DISTRIBUTION_ID": "E1", "ALERTS_TOPIC_ARN": TOPIC}
    settings = RotationSettings.from_env(
        {**env, "PROBE_TIMEOUT_SECONDS": "2.5", "WAF_PROPAGATION_SECONDS": "60"}
    )
    assert (settings.probe_timeout, settings.propagation_seconds) == (2.5, 60.0)
    defaults = RotationSettings.from_env(env)
    assert (defaults.probe_timeout, defaults.propagation_seconds) == (5.0, 0.0)
    with pytest.raises(ConfigError, match="WAF_PROPAGATION_SECONDS must be at most 240 seconds"):
        RotationSettings.from_env({**env, "WAF_PROPAGATION_SECONDS": "241"})


# Every settings constructor of the runtime, with a complete mapping and how to see that
# it read the mapping (not os.environ, where none of these values are).
def _decision_store(env: Mapping[str, str]) -> Any:
    return DynamoDecisionStore.from_env(env, client=boto3.client("dynamodb", "us-east-1"))


def _idempotency_config(env: Mapping[str, str]) -> Any:
    return idempotency.config("detail.eventID", environ=env)


def _idempotency_store(env: Mapping[str, str]) -> Any:
    return idempotency.persistence(boto3_client=boto3.client("dynamodb", "us-east-1"), environ=env)


SETTINGS: list[tuple[str, Callable[[Mapping[str, str]], Any], dict[str, str], Callable]] = [
    (
        "CollectSettings",
        CollectSettings.from_env,
        {"WEB_ACL_NAME": "acl-from-mapping", "MAX_OFFENDERS": "7"},
        lambda s: (s.web_acl_name, s.max_offenders) == ("acl-from-mapping", 7),
    ),
    (
        "alarm record settings",
        record_settings_from_env,
        {"BAN_MINUTES": "17", "DRY_RUN": "yes"},
        lambda s: (s.duration, s.dry_run) == (timedelta(minutes=17), True),
    ),
    (
        "EnforcerSettings",
        EnforcerSettings.from_env,
        {
            "BAN_IPV4_SET_1": IP_SET.format(name="v4-from-mapping"),
            "BAN_IPV6_SET_1": IP_SET.format(name="v6-from-mapping"),
            "ALERTS_TOPIC_ARN": TOPIC,
        },
        lambda s: s.ban_v4[0].name == "v4-from-mapping" and s.alerts_topic_arn == TOPIC,
    ),
    (
        "FindingSettings",
        FindingSettings.from_env,
        {"ALERTS_TOPIC_ARN": TOPIC, "BAN_MINUTES": "33", "DRY_RUN": "on", "MIN_SEVERITY": "4"},
        lambda s: (
            (s.topic_arn, s.block.duration, s.block.dry_run, s.min_severity)
            == (TOPIC, timedelta(minutes=33), True, 4.0)
        ),
    ),
    (
        "WebhookSettings",
        WebhookSettings.from_env,
        {
            "ALERTS_TOPIC_ARN": TOPIC,
            "AUDIT_TABLE": "audit-from-mapping",
            "TELEGRAM_TOKEN_SECRET": "bot",
            "TELEGRAM_WEBHOOK_SECRET": "hook",
            "ALLOWED_CHAT_IDS": "42,-100123",
            "ALLOWED_USER_IDS": "1001",
        },
        lambda s: (
            (s.audit_table, s.allowed.chats, s.allowed.users)
            == ("audit-from-mapping", {"42", "-100123"}, {"1001"})
        ),
    ),
    (
        "OcsfSettings",
        OcsfSettings.from_env,
        {
            "ALERTS_TOPIC_ARN": TOPIC,
            "OCSF_PRODUCERS": "Acme, Network Firewall,",
            "MIN_SEVERITY_ID": "5",
        },
        lambda s: (
            (s.findings.topic_arn, s.producers, s.min_severity_id)
            == (TOPIC, ("Acme", "Network Firewall"), 5)
        ),
    ),
    (
        "ResponseSettings",
        ResponseSettings.from_env,
        {
            "AWS_REGION": "ap-south-2",
            "ALERTS_TOPIC_ARN": TOPIC,
            "TRAIL_SNAPSHOT_TABLE": "snapshots-from-mapping",
            "RESTORE_TRAIL_CONFIGURATION": "no",
        },
        lambda s: (
            (s.region, s.snapshot_table, s.restore_configuration)
            == ("ap-south-2", "snapshots-from-mapping", False)
        ),
    ),
    (
        "RotationSettings",
        RotationSettings.from_env,
        {
            "ORIGIN_WEB_ACL_ARN": "acl-from-mapping",
            "DISTRIBUTION_ID": "EMAPPING",
            "ALERTS_TOPIC_ARN": TOPIC,
            "WAF_PROPAGATION_SECONDS": "12",
        },
        lambda s: (s.distribution_id, s.propagation_seconds) == ("EMAPPING", 12.0),
    ),
    (
        "NotifierSettings",
        NotifierSettings.from_env,
        {"TELEGRAM_TOKEN_SECRET": "secret-from-mapping", "TELEGRAM_CHAT_ID": "4242"},
        lambda s: (s.token_secret, s.chat_id) == ("secret-from-mapping", "4242"),
    ),
    (
        "AnalyzerConfig",
        AnalyzerConfig.from_env,
        {
            "DETECTION_STATE_TABLE": "state-from-mapping",
            "DECISIONS_TABLE": "decisions-from-mapping",
            "DETECTION_SKIP_SOURCES": "a, b",
        },
        lambda s: (s.state_table, s.skip_sources) == ("state-from-mapping", frozenset("ab")),
    ),
    (
        "DigestSettings",
        DigestSettings.from_env,
        {"DETECTION_STATE_TABLE": "state-from-mapping", "ALERTS_TOPIC_ARN": TOPIC},
        lambda s: (s.state_table, s.topic_arn) == ("state-from-mapping", TOPIC),
    ),
    (
        "HuntSettings",
        HuntSettings.from_env,
        {
            "HUNT_WORKGROUP": "wg-from-mapping",
            "HUNT_DATABASE": "db_from_mapping",
            "HUNT_TABLES": "cloudfront_v2=cloudfront_v2, waf=waf",
            "HUNT_WINDOW_HOURS": "48",
        },
        lambda s: (
            (s.workgroup, s.tables, s.window)
            == (
                "wg-from-mapping",
                {"cloudfront_v2": "cloudfront_v2", "waf": "waf"},
                timedelta(hours=48),
            )
        ),
    ),
    (
        "DynamoDecisionStore",
        _decision_store,
        {"DECISIONS_TABLE": "decisions-from-mapping", "IPV6_HOST_PREFIX": "56"},
        lambda s: (s.table_name, s.policy.ipv6_host_prefix) == ("decisions-from-mapping", 56),
    ),
    (
        "ImportSettings",
        ImportSettings.from_env,
        {"BLOCKLIST_STATE_TABLE": "state-from-mapping", "GRACE_HOURS": "6"},
        lambda s: (
            (s.state_table, s.grace, s.lease)
            == (
                "state-from-mapping",
                timedelta(hours=6),
                timedelta(hours=12),
            )
        ),
    ),
    (
        "idempotency config",
        _idempotency_config,
        {"IDEMPOTENCY_TTL_SECONDS": "321"},
        lambda s: s.expires_after_seconds == 321,
    ),
    (
        "idempotency persistence",
        _idempotency_store,
        {"IDEMPOTENCY_TABLE": "idempotency-from-mapping"},
        lambda s: s.table_name == "idempotency-from-mapping",
    ),
]


@pytest.mark.parametrize(
    ("reader", "env", "check"), [s[1:] for s in SETTINGS], ids=[s[0] for s in SETTINGS]
)
def test_every_settings_reader_takes_a_mapping(
    reader: Callable[[Mapping[str, str]], Any], env: dict[str, str], check: Callable
) -> None:
    assert check(reader(env))


# One spoiled value per reader: the error names the variable from the mapping.
SPOILED = {
    "CollectSettings": {"WEB_ACL_NAME": "acl", "MIN_BLOCKED_REQUESTS": "0"},
    "alarm record settings": {"DRY_RUN": "maybe"},
    "EnforcerSettings": {"BAN_IPV4_SET_1": IP_SET.format(name="v4"), "BAN_IPV6_SET_1": "x"},
    "FindingSettings": {"ALERTS_TOPIC_ARN": TOPIC, "MIN_SEVERITY": "high"},
    "OcsfSettings": {"ALERTS_TOPIC_ARN": TOPIC, "MIN_SEVERITY_ID": "7"},
    "WebhookSettings": {
        "ALERTS_TOPIC_ARN": TOPIC,
        "AUDIT_TABLE": "a",
        "TELEGRAM_TOKEN_SECRET": "b",
    },
    "ResponseSettings": {"AWS_REGION": "eu-west-1"},
    "RotationSettings": {"ORIGIN_WEB_ACL_ARN": "acl", "DISTRIBUTION_ID": "E1"},
    "NotifierSettings": {"TELEGRAM_CHAT_ID": "42"},
    "AnalyzerConfig": {"DETECTION_STATE_TABLE": "state"},
    "DynamoDecisionStore": {"DECISIONS_TABLE": "t", "IPV6_HOST_PREFIX": "129"},
    "ImportSettings": {"BLOCKLIST_STATE_TABLE": "t", "MAX_SHRINK_PERCENT": "150"},
    "DigestSettings": {"DETECTION_STATE_TABLE": "state"},
    "HuntSettings": {"HUNT_TABLES": "cloudfront=cf", "HUNT_WORKGROUP": "w", "HUNT_DATABASE": "d"},
    "idempotency config": {"IDEMPOTENCY_TTL_SECONDS": "0"},
    "idempotency persistence": {"IDEMPOTENCY_TABLE": " "},
}
NAMED = {
    "CollectSettings": "MIN_BLOCKED_REQUESTS",
    "alarm record settings": "DRY_RUN",
    "EnforcerSettings": "BAN_IPV6_SET_1",
    "FindingSettings": "MIN_SEVERITY",
    "OcsfSettings": "MIN_SEVERITY_ID",
    "WebhookSettings": "TELEGRAM_WEBHOOK_SECRET",
    "ResponseSettings": "ALERTS_TOPIC_ARN",
    "RotationSettings": "ALERTS_TOPIC_ARN",
    "NotifierSettings": "TELEGRAM_TOKEN_SECRET",
    "AnalyzerConfig": "DECISIONS_TABLE",
    "DynamoDecisionStore": "IPV6_HOST_PREFIX",
    "ImportSettings": "MAX_SHRINK_PERCENT",
    "DigestSettings": "ALERTS_TOPIC_ARN",
    "HuntSettings": "HUNT_TABLES",
    "idempotency config": "IDEMPOTENCY_TTL_SECONDS",
    "idempotency persistence": "IDEMPOTENCY_TABLE",
}


@pytest.mark.parametrize(
    ("label", "reader"), [s[:2] for s in SETTINGS], ids=[s[0] for s in SETTINGS]
)
def test_a_bad_value_in_the_mapping_is_a_config_error_naming_it(
    label: str, reader: Callable[[Mapping[str, str]], Any]
) -> None:
    """The mapping, not os.environ, is what gets validated."""
    with pytest.raises(ConfigError, match=NAMED[label]):
        reader(SPOILED[label])


def _runtime_modules() -> list[Any]:
    names = [
        info.name
        for info in pkgutil.walk_packages(edgeguard.__path__, "edgeguard.")
        if not info.ispkg
    ]
    return [importlib.import_module(name) for name in sorted(names)]


def test_every_from_env_in_the_runtime_takes_an_optional_mapping() -> None:
    """A new settings class cannot forget it: tests pass a mapping instead of patching."""
    found = []
    for module in _runtime_modules():
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or "from_env" not in vars(cls):
                continue
            parameter = inspect.signature(cls.from_env).parameters.get("environ")
            found.append(cls.__name__)
            assert parameter is not None, f"{module.__name__}.{cls.__name__}.from_env"
            assert parameter.default is None, f"{cls.__name__}.from_env(environ=None)"
    covered = {s[0] for s in SETTINGS}
    assert set(found) <= covered, f"add {set(found) - covered} to SETTINGS"

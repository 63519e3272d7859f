"""Numeric settings read at cold start: a bad value is a ConfigError naming the variable."""

from __future__ import annotations

import pytest

from edgeguard.alarms.service import CollectSettings
from edgeguard.config import ConfigError, integer, number
from edgeguard.idempotency import config as idempotency_config
from edgeguard.rotation.service import RotationSettings
from edgeguard_tools.local.handlers import environment


def test_numbers_default_parse_and_refuse_with_the_name() -> None:
    assert number("PROBE", 5.0, {}) == 5.0
    assert number("PROBE", 5.0, {"PROBE": " 2.5 "}) == 2.5
    for bad in ("soon", "nan", "inf", "-1"):
        with pytest.raises(ConfigError, match="PROBE"):
            number("PROBE", 5.0, {"PROBE": bad}, minimum=0)
    with pytest.raises(ConfigError, match="at most 10"):
        number("PROBE", 5.0, {"PROBE": "11"}, maximum=10)


def test_integers_refuse_fractions_and_out_of_range() -> None:
    assert integer("CAP", 7, {"CAP": ""}) == 7
    assert integer("CAP", 7, {"CAP": "42"}) == 42
    with pytest.raises(ConfigError, match="CAP must be a whole number"):
        integer("CAP", 7, {"CAP": "4.5"})
    with pytest.raises(ConfigError, match="CAP must be at least 1"):
        integer("CAP", 7, {"CAP": "0"}, minimum=1)


def test_rotation_names_a_bad_probe_timeout() -> None:
    env = {"ORIGIN_WEB_ACL_ARN": "arn", "DISTRIBUTION_ID": "E1", "ALERTS_TOPIC_ARN": "topic"}
    bad_timeout = environment({**env, "PROBE_TIMEOUT_SECONDS": "five"})
    with bad_timeout, pytest.raises(ConfigError, match="PROBE_TIMEOUT_SECONDS"):
        RotationSettings.from_env()
    bad_wait = environment({**env, "WAF_PROPAGATION_SECONDS": "-3"})
    with bad_wait, pytest.raises(ConfigError, match="WAF_PROPAGATION_SECONDS"):
        RotationSettings.from_env()


def test_idempotency_names_a_bad_ttl() -> None:
    bad_ttl = environment({"IDEMPOTENCY_TTL_SECONDS": "a day"})
    with bad_ttl, pytest.raises(ConfigError, match="IDEMPOTENCY_TTL_SECONDS"):
        idempotency_config("detail.eventID")


def test_alarm_collect_names_each_bad_count() -> None:
    base = {"WEB_ACL_NAME": "edgeguard-dev-edge"}
    with pytest.raises(ConfigError, match="MIN_BLOCKED_REQUESTS"):
        CollectSettings.from_env({**base, "MIN_BLOCKED_REQUESTS": "0"})
    with pytest.raises(ConfigError, match="MAX_OFFENDERS"):
        CollectSettings.from_env({**base, "MAX_OFFENDERS": "many"})

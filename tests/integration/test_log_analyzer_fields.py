"""The deployed analyzers read headerless CloudFront deliveries with the field lists the
template gives them (CloudFrontLogFields, the real-time configuration), not the defaults."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[2]
CHOSEN = "c-ip,timestamp,cs-method,cs-uri-stem,cs-uri-query,sc-status,cs(User-Agent)"


def load_handler(name: str):
    spec = importlib.util.spec_from_file_location(
        f"app_{name}", ROOT / "functions" / name / "app.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("function", ["log_analyzer", "realtime_log_analyzer"])
def test_handler_uses_the_configured_field_lists(function, monkeypatch):
    for name, value in {
        "DETECTION_STATE_TABLE": "state",
        "DECISIONS_TABLE": "decisions",
        "ALERTS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:alerts",
        "CLOUDFRONT_LOG_FIELDS": CHOSEN,
        "REALTIME_LOG_FIELDS": "timestamp c-ip sc-status cs-method cs-uri-stem cs-uri-query "
        "cs-user-agent",
        "POWERTOOLS_METRICS_NAMESPACE": "edgeguard",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.syspath_prepend(str(ROOT / "functions" / function))
    with mock_aws():
        app = load_handler(function)
    assert app.DEPS.fields.standard[:2] == ("c-ip", "timestamp")
    assert app.DEPS.fields.realtime[:2] == ("timestamp", "c-ip")
    assert app.DEPS.fields == app.CONFIG.fields
    sys.modules.pop(f"app_{function}", None)

"""``edgeguard replay`` answers as the deployed store does: a repeat offender within the
escalation window gets the same escalated ban offline as in DynamoDB."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
from moto import mock_aws

from edgeguard.decisions import DecisionRequest, DynamoDecisionStore
from edgeguard.logs.settings import DetectionSettings
from edgeguard_tools import log_samples as samples
from edgeguard_tools.cli import main
from tests.template_tables import create_table

T0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


CLIENT = "203.0.113.9"


def repeat_offender_logs(tmp_path):
    """SQL injection at T0, then 40 distinct 404 paths 25 h later, from one client."""
    sqli = [
        samples.cloudfront_line(
            T0 + timedelta(seconds=i), CLIENT, "/search", 200, "q=1%27%20OR%20%271%27=%271"
        )
        for i in range(3)
    ]
    later = T0 + timedelta(hours=25)
    words = [f"{a}{b}" for a in ("admin", "backup", "old", "test", "dev") for b in "abcdefgh"]
    probing = [
        samples.cloudfront_line(later + timedelta(seconds=i), CLIENT, f"/{word}.php", 404)
        for i, word in enumerate(words)
    ]
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.gz").write_bytes(samples.cloudfront_object(sqli))
    (logs / "b.gz").write_bytes(samples.cloudfront_object(probing))
    return logs


def test_replay_escalates_a_repeat_offender_as_the_deployed_store_does(tmp_path, capsys):
    """SQL injection at T0 (24 h ban), then path probing 25 h later, within the 24 h
    escalation window after the first ban ended: the second ban doubles to 48 h."""
    logs = repeat_offender_logs(tmp_path)
    assert main(["replay", "--json", str(logs)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [
        (r["scenario"], r["duration_seconds"] // 3600, r["strikes"], r["status"]) for r in rows
    ] == [
        ("sqli_probing", 24, 1, "created"),
        ("path_probing", 48, 2, "escalated"),
    ]
    assert all(r["value"] == f"{CLIENT}/32" for r in rows)
    second = rows[1]
    deployed = deployed_expiries(rows)
    assert [datetime.fromisoformat(r["expires_at"]) for r in rows] == deployed
    assert datetime.fromisoformat(second["expires_at"]) - datetime.fromisoformat(
        second["decided_at"]
    ) == timedelta(hours=48)


def deployed_expiries(rows: list[dict]) -> list[datetime]:
    """The same verdicts recorded in the DynamoDB store (table from template.yaml)."""
    settings = DetectionSettings()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        store = DynamoDecisionStore(create_table(client, "DecisionsTable", "d"), client=client)
        expiries = []
        for row in rows:
            request = DecisionRequest(
                value=row["value"],
                action=row["action"],
                origin="log",
                reason=row["scenario"],
                duration=settings.get(row["scenario"]).duration,
            )
            decision = store.record(request, datetime.fromisoformat(row["decided_at"])).decision
            assert decision is not None
            expiries.append(decision.expires_at)
    return expiries


def test_replay_takes_the_stacks_escalation_settings(tmp_path, capsys):
    """A stack deployed with MaxBanHours=36 caps the second ban at 36 h offline too."""
    logs = repeat_offender_logs(tmp_path)
    assert main(["replay", "--json", "--max-ban-hours", "36", str(logs)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["duration_seconds"] // 3600 for r in rows] == [24, 36]
    assert main(["replay", "--json", "--escalation-window-hours", "0", str(logs)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["duration_seconds"] // 3600, r["status"]) for r in rows] == [
        (24, "created"),
        (4, "created"),
    ]

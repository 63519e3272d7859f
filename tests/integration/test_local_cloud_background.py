"""``edgeguard local up|status|down``: a local cloud kept running between commands.

Every command runs as its own process, as an operator types them; state (a ban, the WAF
set that holds it) survives from one command to the next, and moto's HTTP endpoint shows
the same resources to any AWS SDK. The background process is always stopped (fixture).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from edgeguard_tools.invoke_prep import PROBE_ADDRESS, sample_log
from edgeguard_tools.localserver.state import process_alive, read_state

ROOT = Path(__file__).resolve().parents[2]
ADDRESS = "198.51.100.7"
COMMAND_SECONDS = 120  # a bound, not a measure: a cold start takes ~6 s on this machine


def edgeguard(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edgeguard_tools", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
        check=False,
    )


@pytest.fixture
def env(tmp_path: Path):
    state = tmp_path / "state" / "local.json"
    environment = {**os.environ, "EDGEGUARD_LOCAL_STATE": str(state)}
    try:
        yield environment
    finally:
        edgeguard(environment, "local", "down")
        left = read_state(state)
        if left is not None and process_alive(left.pid):
            os.kill(left.pid, signal.SIGKILL)


def banned_in_waf(endpoint: str) -> list[str]:
    """Every entry of the CLOUDFRONT ban sets, read through the AWS endpoint."""
    waf = boto3.client(
        "wafv2",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # moto accepts any key
    )
    out: list[str] = []
    for summary in waf.list_ip_sets(Scope="CLOUDFRONT")["IPSets"]:
        if "-ban-" in summary["Name"]:
            ip_set = waf.get_ip_set(Scope="CLOUDFRONT", Name=summary["Name"], Id=summary["Id"])
            out += ip_set["IPSet"]["Addresses"]
    return out


def test_a_ban_lives_in_the_background_cloud_from_one_command_to_the_next(env, tmp_path):
    up = edgeguard(env, "local", "up")
    assert up.returncode == 0, up.stderr
    state_file = Path(env["EDGEGUARD_LOCAL_STATE"])
    state = read_state(state_file)
    assert state is not None
    assert state.endpoint.startswith("http://127.0.0.1:")
    assert state.endpoint in up.stdout
    assert state_file.stat().st_mode & 0o777 == 0o600  # it holds the control token

    block = edgeguard(env, "block", ADDRESS, "--for", "4h", "--reason", "acceptance", "--local")
    assert block.returncode == 0, block.stderr
    assert f"banned {ADDRESS}/32 until" in block.stdout
    assert "; WAF updated: 1 set" in block.stdout
    assert "Warning" not in block.stderr
    shown = edgeguard(env, "decisions", "--local", "--json")
    assert shown.returncode == 0, shown.stderr
    (decision,) = json.loads(shown.stdout)
    assert (decision["value"], decision["origin"], decision["reason"]) == (
        f"{ADDRESS}/32",
        "manual",
        "acceptance",
    )
    assert banned_in_waf(state.endpoint) == [f"{ADDRESS}/32"]

    status = edgeguard(env, "local", "status")
    assert status.returncode == 0, status.stderr
    assert state.endpoint in status.stdout
    assert f"pid:         {state.pid}" in status.stdout
    assert "AWS::DynamoDB::Table" in status.stdout

    unblock = edgeguard(env, "unblock", ADDRESS, "--local")
    assert unblock.returncode == 0, unblock.stderr
    assert f"{ADDRESS}/32 unblocked" in unblock.stdout
    after = edgeguard(env, "decisions", "--local", "--json")
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout) == []
    assert banned_in_waf(state.endpoint) == []

    down = edgeguard(env, "local", "down")
    assert down.returncode == 0, down.stderr
    assert not state_file.exists()
    assert not process_alive(state.pid)
    gone = edgeguard(env, "decisions", "--local")
    assert gone.returncode == 1
    assert "no local cloud is running; start one with `edgeguard local up`" in gone.stderr


def test_invoke_local_runs_in_the_background_cloud(env):
    assert edgeguard(env, "local", "up").returncode == 0
    block = edgeguard(env, "block", ADDRESS, "--for", "1h", "--reason", "seen", "--local")
    assert block.returncode == 0, block.stderr
    run = edgeguard(env, "invoke", "IpSetSyncFunction", "-e", "schedule_ipset_sync", "--local")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)  # stdout is the result alone; the logs are on stderr
    assert sum(group["decisions"] for group in report["groups"].values()) == 1
    assert report["updates"] == 0  # the block's own enforcer run already wrote WAF
    assert '"message":"enforced"' in run.stderr


def aws(endpoint: str, service: str):
    return boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_calls_through_the_aws_endpoint_reach_the_wiring(env):
    """What an operator does with the AWS CLI is delivered like the deployed stack would:
    a GuardDuty event put on the bus, a log object put in the log bucket, a message
    published on the alerts topic."""
    assert edgeguard(env, "local", "up").returncode == 0
    state = read_state(Path(env["EDGEGUARD_LOCAL_STATE"]))
    assert state is not None
    finding = json.loads((ROOT / "events" / "guardduty_network_connection.json").read_text())
    aws(state.endpoint, "events").put_events(
        Entries=[
            {
                "Source": finding["source"],
                "DetailType": finding["detail-type"],
                "Detail": json.dumps(finding["detail"]),
            }
        ]
    )
    aws(state.endpoint, "s3").put_object(
        Bucket="edgeguard-dev-logs-123456789012",
        Key="cloudfront/E2EXAMPLE.2026-11-30-07.0a1b2c3d.gz",
        Body=sample_log("edgeguard-dev-logs-123456789012", "cloudfront/E2EXAMPLE.gz"),
    )
    sns = aws(state.endpoint, "sns")
    (topic,) = [t["TopicArn"] for t in sns.list_topics()["Topics"] if "alerts" in t["TopicArn"]]
    sns.publish(TopicArn=topic, Subject="from the AWS CLI", Message="hello")

    deadline = time.monotonic() + COMMAND_SECONDS
    while time.monotonic() < deadline:  # the background loop delivers within a second or two
        shown = json.loads(edgeguard(env, "decisions", "--local", "--json").stdout)
        if {d["origin"] for d in shown} == {"guardduty", "log"}:
            break
        time.sleep(0.5)
    assert {(d["value"], d["origin"]) for d in shown} == {
        ("198.51.100.23/32", "guardduty"),  # the finding's remote address
        (f"{PROBE_ADDRESS}/32", "log"),  # the client probing sensitive files in the log
    }
    status = edgeguard(env, "local", "status").stdout
    assert "0 failed deliveries" in status
    # the two bans and the published message each reached Telegram through the notifier
    assert "telegram:    3 message(s)" in status

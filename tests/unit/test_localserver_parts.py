"""The parts of ``edgeguard local up``: the state file, the control endpoint's token, the
relay's reading of SNS query-protocol requests."""

from __future__ import annotations

import stat

import pytest

from edgeguard_tools.localserver.control import ControlError, ControlServer, call
from edgeguard_tools.localserver.relay import sns_publish_params
from edgeguard_tools.localserver.state import (
    State,
    read_state,
    remove_state,
    state_path,
    write_state,
)


def _state(pid: int = 4242) -> State:
    return State(
        pid, "http://127.0.0.1:1", "http://127.0.0.1:2", "tok", "2026-11-30T07:00:00+00:00", {}
    )


def test_the_state_file_is_private_and_round_trips(tmp_path):
    path = tmp_path / "run" / "local.json"
    write_state(path, _state())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert read_state(path) == _state()
    remove_state(path, pid=1)  # another process's file stays
    assert path.exists()
    remove_state(path, pid=4242)
    assert read_state(path) is None


def test_a_file_that_is_not_a_state_file_is_named(tmp_path):
    path = tmp_path / "local.json"
    path.write_text('{"pid": 1}')
    with pytest.raises(ValueError, match="is not a local cloud state file"):
        read_state(path)


def test_where_the_state_file_lives(tmp_path, monkeypatch):
    monkeypatch.delenv("EDGEGUARD_LOCAL_STATE", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert state_path() == tmp_path / "edgeguard" / "local.json"
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "missing"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert state_path() == tmp_path / "home" / ".cache" / "edgeguard" / "local.json"
    monkeypatch.setenv("EDGEGUARD_LOCAL_STATE", str(tmp_path / "x.json"))
    assert state_path() == tmp_path / "x.json"


def test_the_control_endpoint_answers_only_with_the_token():
    seen: list[tuple[str, dict]] = []

    def handle(path: str, body: dict) -> dict:
        seen.append((path, body))
        return {"ok": True}

    with ControlServer("s3cret-token", handle) as server:
        assert call(server.base_url, "s3cret-token", "/status", {"a": 1}, 5) == {"ok": True}
        with pytest.raises(ControlError, match="403"):
            call(server.base_url, "wrong", "/run", {"argv": ["block"]}, 5)
        with pytest.raises(ControlError, match="404"):
            call(server.base_url, "s3cret-token", "/nope", {}, 5)
    assert seen == [("/status", {"a": 1})]  # the refused requests never reached the handler


def test_an_sns_publish_form_reads_as_botocore_params():
    form = {
        "Action": "Publish",
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:alerts",
        "Message": "hello",
        "Subject": "hi",
        "MessageAttributes.entry.1.Name": "severity",
        "MessageAttributes.entry.1.Value.DataType": "String",
        "MessageAttributes.entry.1.Value.StringValue": "high",
    }
    assert sns_publish_params(form) == {
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:alerts",
        "Message": "hello",
        "Subject": "hi",
        "MessageAttributes": {"severity": {"DataType": "String", "StringValue": "high"}},
    }

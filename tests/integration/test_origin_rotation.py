"""Origin secret rotation against moto and a real origin on 127.0.0.1.

Every scenario checks, after each AWS call the rotation makes, that every X-Origin-Verify
value an edge location may be sending is admitted by the regional origin-verify rule."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from edgeguard.config import ConfigError
from edgeguard.rotation import origin_rule, probe
from edgeguard.rotation.errors import Conflict, NotReady, RotationError
from edgeguard.rotation.secret_versions import RotationEvent, validate_value
from edgeguard_tools.events import load_event
from edgeguard_tools.local import moto_ext
from edgeguard_tools.local.handlers import LocalContext, environment, load_handler
from edgeguard_tools.local.origin_watch import watch
from tests.integration.edge_fixtures import INITIAL, REGION, Edge, build_edge, run_rotation

STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")


@pytest.fixture
def edge() -> Iterator[Edge]:
    with mock_aws():
        built = build_edge()
        try:
            yield built
        finally:
            moto_ext.reset_distribution_settle_reads()
            assert built.server is not None
            built.server.shutdown()
            built.server.server_close()


def _event(edge: Edge, step: str, token: str) -> dict[str, str]:
    return {"Step": step, "SecretId": edge.secret_arn, "ClientRequestToken": token}


def _fail_once(client, operation: str, code: str = "InternalFailure") -> dict[str, int]:
    """Make the next call of ``operation`` on this client fail the way AWS would."""
    state = {"left": 1}

    def hook(**_kwargs):
        if state["left"]:
            state["left"] -= 1
            raise ClientError({"Error": {"Code": code, "Message": "injected"}}, operation)

    client.meta.events.register(f"before-call.*.{operation}", hook)
    return state


def _acl_without_rule_statement(edge: Edge) -> dict:
    acl = edge.waf.get_web_acl(Name=edge.acl["Name"], Scope="REGIONAL", Id=edge.acl["Id"])["WebACL"]
    for rule in acl["Rules"]:
        if rule["Name"] == "origin-verify":
            rule.pop("Statement")
    return acl


def test_full_rotation_admits_both_values_mid_rotation_and_changes_nothing_else(edge: Edge):
    before = _acl_without_rule_statement(edge)
    rotator = edge.rotator()
    token = edge.start_rotation()

    run_rotation(edge, rotator, token, ("createSecret", "setSecret"))
    pending = edge.sm.get_secret_value(SecretId=edge.secret_arn, VersionId=token)["SecretString"]
    assert pending != INITIAL and len(pending) == 48
    url = edge.origin_url + "/health"
    assert probe.request(url, INITIAL, 2).admitted
    assert probe.request(url, pending, 2).admitted
    assert probe.request(url, None, 2).refused
    assert probe.request(url, "guess", 2).refused
    assert edge.header_sent() == pending

    run_rotation(edge, rotator, token, ("testSecret", "finishSecret"))
    assert edge.value("AWSCURRENT") == pending
    assert edge.stages()[token] == ["AWSCURRENT"]
    assert sorted(edge.admitted()) == sorted([INITIAL, pending])
    assert _acl_without_rule_statement(edge) == before
    assert edge.checks > 10

    alerts = [json.loads(body) for body in edge.alerts()]
    assert [a["title"] for a in alerts] == ["Origin secret rotated"]
    text = json.dumps(alerts)
    assert pending not in text and INITIAL not in text


def test_second_rotation_narrows_the_rule_to_the_new_pair(edge: Edge):
    rotator = edge.rotator()
    first = edge.start_rotation()
    run_rotation(edge, rotator, first)
    edge.set_deployed()
    second = edge.start_rotation()
    run_rotation(edge, rotator, second)
    values = {
        edge.value("AWSCURRENT"),
        edge.sm.get_secret_value(SecretId=edge.secret_arn, VersionId=first)["SecretString"],
    }
    assert set(edge.admitted()) == values
    assert INITIAL not in edge.admitted()
    assert probe.request(edge.origin_url + "/", INITIAL, 2).refused


def test_every_step_run_twice_changes_nothing_the_second_time(edge: Edge):
    rotator = edge.rotator()
    token = edge.start_rotation()
    for step in STEPS:
        first = rotator.handle(_event(edge, step, token))
        again = rotator.handle(_event(edge, step, token))
        edge.check_invariant()
        assert again.changed == [], step
        if step != "testSecret":
            assert first.changed or first.skipped, step
    assert rotator.handle(_event(edge, "finishSecret", token)).skipped


@pytest.mark.parametrize(
    ("step", "client_name", "operation"),
    [
        ("createSecret", "secretsmanager", "PutSecretValue"),
        ("setSecret", "wafv2", "UpdateWebACL"),
        ("setSecret", "cloudfront", "UpdateDistribution"),
        ("testSecret", "wafv2", "GetWebACL"),
        ("finishSecret", "secretsmanager", "UpdateSecretVersionStage"),
    ],
)
def test_a_step_failing_once_succeeds_when_retried(edge: Edge, step, client_name, operation):
    rotator = edge.rotator()
    token = edge.start_rotation()
    for earlier in STEPS[: STEPS.index(step)]:
        rotator.handle(_event(edge, earlier, token))
    _fail_once(getattr(rotator.clients, client_name), operation)
    with pytest.raises(ClientError):
        rotator.handle(_event(edge, step, token))
    edge.check_invariant()
    failure = json.loads(edge.alerts()[-1])
    assert failure["title"] == "Origin secret rotation failed" and failure["fields"]["step"] == step
    for remaining in STEPS[STEPS.index(step) :]:
        rotator.handle(_event(edge, remaining, token))
        edge.check_invariant()
    pending = edge.value("AWSCURRENT")
    assert pending != INITIAL and edge.header_sent() == pending


def test_test_secret_fails_when_the_origin_refuses_a_value_and_set_secret_repairs_it(edge: Edge):
    rotator = edge.rotator()
    token = edge.start_rotation()
    run_rotation(edge, rotator, token, ("createSecret", "setSecret"))
    edge.set_deployed()
    pending = edge.header_sent()
    # an operator narrows the rule to the value CloudFront sends (no lockout, but the
    # current value, still served to anyone who reads AWSCURRENT, is now refused)
    ref = origin_rule.WebAclRef.from_arn(edge.acl["ARN"])
    origin_rule.admit(edge.waf, ref, (pending, pending), lambda _d: True)
    edge.check_invariant()
    with pytest.raises(RotationError, match="does not admit the AWSCURRENT value"):
        rotator.handle(_event(edge, "testSecret", token))
    assert edge.value("AWSCURRENT") == INITIAL  # finishSecret never ran
    # a retried setSecret widens the rule again; the test passes
    rotator.handle(_event(edge, "setSecret", token))
    rotator.handle(_event(edge, "testSecret", token))


def test_test_secret_refuses_an_origin_that_admits_requests_without_the_header(edge: Edge):
    rotator = edge.rotator()
    token = edge.start_rotation()
    run_rotation(edge, rotator, token, ("createSecret", "setSecret"))
    assert edge.server is not None
    edge.server.edge = _OpenOrigin(edge)  # type: ignore[assignment]
    with pytest.raises(RotationError, match="did not refuse a request without X-Origin-Verify"):
        rotator.handle(_event(edge, "testSecret", token))


class _OpenOrigin:
    """An origin whose WAF is detached: it admits everything."""

    def __init__(self, edge: Edge) -> None:
        self.origin_requests: list[bool] = []
        self._edge = edge

    def admits(self, value: str | None) -> bool:
        return True


def test_set_secret_retried_while_cloudfront_deploys_succeeds_without_redoing_work(edge: Edge):
    rotator = edge.rotator()
    token = edge.start_rotation()
    run_rotation(edge, rotator, token, ("createSecret", "setSecret"))
    assert edge.status() == "InProgress"
    again = rotator.handle(_event(edge, "setSecret", token))
    assert again.changed == []
    run_rotation(edge, rotator, token, ("testSecret", "finishSecret"))


def test_next_rotation_waits_until_cloudfront_has_deployed_the_previous_header(edge: Edge):
    rotator = edge.rotator()
    first = edge.start_rotation()
    run_rotation(edge, rotator, first)
    assert edge.status() == "InProgress"  # edges may still send INITIAL
    second = edge.start_rotation()
    rotator.handle(_event(edge, "createSecret", second))
    admitted_before = edge.admitted()
    with pytest.raises(NotReady):
        rotator.handle(_event(edge, "setSecret", second))
    assert edge.admitted() == admitted_before and INITIAL in admitted_before
    waits = [json.loads(b) for b in edge.alerts()]
    assert waits[-1]["title"] == "Origin secret rotation waits" and waits[-1]["severity"] == "low"
    edge.set_deployed()
    run_rotation(edge, rotator, second, ("setSecret", "testSecret", "finishSecret"))
    assert INITIAL not in edge.admitted()


def test_web_acl_lock_conflict_is_retried_and_keeps_the_other_writers_change(edge: Edge):
    rotator = edge.rotator()
    token = edge.start_rotation()
    rotator.handle(_event(edge, "createSecret", token))
    other = boto3.client("wafv2", region_name=REGION)
    done = {"n": 0}

    def concurrent_writer(**_kwargs):
        if done["n"]:
            return
        done["n"] += 1
        got = other.get_web_acl(Name=edge.acl["Name"], Scope="REGIONAL", Id=edge.acl["Id"])
        acl = got["WebACL"]
        acl["Description"] = "changed by an operator"
        keys = (
            "Name",
            "DefaultAction",
            "Description",
            "Rules",
            "VisibilityConfig",
            "CustomResponseBodies",
            "CaptchaConfig",
            "ChallengeConfig",
            "TokenDomains",
            "AssociationConfig",
        )
        other.update_web_acl(
            Scope="REGIONAL",
            Id=acl["Id"],
            LockToken=got["LockToken"],
            **{k: acl[k] for k in keys if k in acl},
        )

    rotator.clients.wafv2.meta.events.register("before-call.wafv2.UpdateWebACL", concurrent_writer)
    outcome = rotator.handle(_event(edge, "setSecret", token))
    assert "origin rule admits AWSCURRENT and AWSPENDING" in outcome.changed
    acl = edge.waf.get_web_acl(Name=edge.acl["Name"], Scope="REGIONAL", Id=edge.acl["Id"])["WebACL"]
    assert acl["Description"] == "changed by an operator"
    assert len(set(edge.admitted())) == 2


def test_same_step_racing_in_two_threads_ends_consistent(edge: Edge):
    token = edge.start_rotation()
    edge.rotator(observe=False).handle(_event(edge, "createSecret", token))
    errors: list[BaseException] = []

    def run() -> None:
        try:
            edge.rotator(observe=False).handle(_event(edge, "setSecret", token))
        except BaseException as error:  # collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    edge.check_invariant()
    run_rotation(edge, edge.rotator(), token, ("testSecret", "finishSecret"))


def test_a_superseded_rotation_changes_nothing(edge: Edge):
    rotator = edge.rotator()
    old = edge.start_rotation()
    rotator.handle(_event(edge, "createSecret", old))
    new = edge.start_rotation()  # AWSPENDING moves to a new version
    with pytest.raises(RotationError, match="not set as AWSPENDING"):
        rotator.handle(_event(edge, "setSecret", old))
    assert edge.header_sent() == INITIAL and set(edge.admitted()) == {INITIAL}
    run_rotation(edge, rotator, new)
    assert edge.value("AWSCURRENT") == edge.header_sent()


def test_a_drifted_header_stays_admitted(edge: Edge):
    rotator = edge.rotator()
    config = edge.cf.get_distribution_config(Id=edge.distribution_id)
    dist = config["DistributionConfig"]
    dist["Origins"]["Items"][0]["CustomHeaders"]["Items"][0]["HeaderValue"] = "manual-value"
    origin_rule.admit(
        edge.waf,
        origin_rule.WebAclRef.from_arn(edge.acl["ARN"]),
        (INITIAL, "manual-value"),
        lambda _d: True,
    )
    edge.cf.update_distribution(
        Id=edge.distribution_id, IfMatch=config["ETag"], DistributionConfig=dist
    )
    edge.set_deployed()
    token = edge.start_rotation()
    run_rotation(edge, rotator, token, ("createSecret", "setSecret"))
    assert "manual-value" in edge.admitted()


def test_guard_refuses_a_secret_without_rotation(edge: Edge):
    rotator = edge.rotator()
    with pytest.raises(RotationError, match="not enabled for rotation"):
        rotator.handle(_event(edge, "createSecret", "0" * 36))


@pytest.mark.parametrize(
    "bad", [{}, {"Step": "dance", "SecretId": "s", "ClientRequestToken": "t"}, []]
)
def test_malformed_events_get_a_clear_error(edge: Edge, bad):
    with pytest.raises(RotationError):
        edge.rotator().handle(bad)  # type: ignore[arg-type]


def test_origin_probe_times_out_instead_of_hanging():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection, never answers
    try:
        result = probe.request(f"http://127.0.0.1:{listener.getsockname()[1]}/", "x", 0.3)
    finally:
        listener.close()
    assert result.status is None and not result.admitted and not result.refused


def test_cloudfront_precondition_failed_is_retried_and_keeps_the_other_writers_change(edge: Edge):
    rotator = edge.rotator()
    token = edge.start_rotation()
    rotator.handle(_event(edge, "createSecret", token))
    other = boto3.client("cloudfront", region_name=REGION)
    calls = {"update": 0}

    def concurrent_writer(**_kwargs):
        calls["update"] += 1
        if calls["update"] == 1:  # between the rotation's read and its write
            got = other.get_distribution_config(Id=edge.distribution_id)
            config = got["DistributionConfig"]
            config["Comment"] = "changed by an operator"
            other.update_distribution(
                Id=edge.distribution_id, IfMatch=got["ETag"], DistributionConfig=config
            )

    rotator.clients.cloudfront.meta.events.register(
        "before-call.cloudfront.UpdateDistribution", concurrent_writer
    )
    outcome = rotator.handle(_event(edge, "setSecret", token))
    assert "CloudFront sends AWSPENDING" in outcome.changed
    assert calls["update"] == 2  # the stale ETag was refused once, then re-read and retried
    config = edge.cf.get_distribution_config(Id=edge.distribution_id)["DistributionConfig"]
    assert config["Comment"] == "changed by an operator"
    assert (
        edge.header_sent()
        == edge.sm.get_secret_value(SecretId=edge.secret_arn, VersionId=token)["SecretString"]
    )


def test_lock_conflicts_that_never_end_give_up_without_a_lockout(edge: Edge):
    rotator = edge.rotator()
    token = edge.start_rotation()
    rotator.handle(_event(edge, "createSecret", token))
    other = boto3.client("wafv2", region_name=REGION)

    def always_conflict(**_kwargs):
        got = other.get_web_acl(Name=edge.acl["Name"], Scope="REGIONAL", Id=edge.acl["Id"])
        acl = got["WebACL"]
        keys = ("Name", "DefaultAction", "Description", "Rules", "VisibilityConfig",
                "CustomResponseBodies", "CaptchaConfig", "ChallengeConfig", "TokenDomains",
                "AssociationConfig")  # fmt: skip
        other.update_web_acl(
            Scope="REGIONAL", Id=acl["Id"], LockToken=got["LockToken"],
            **{k: acl[k] for k in keys if k in acl},
        )  # fmt: skip

    rotator.clients.wafv2.meta.events.register("before-call.wafv2.UpdateWebACL", always_conflict)
    with pytest.raises(Conflict):
        rotator.handle(_event(edge, "setSecret", token))
    assert edge.header_sent() == INITIAL  # CloudFront was never switched
    edge.check_invariant()


def test_the_lambda_handler_runs_a_rotation_from_its_environment(edge: Edge, capsys):
    env = {
        "ORIGIN_WEB_ACL_ARN": edge.acl["ARN"],
        "DISTRIBUTION_ID": edge.distribution_id,
        "ALERTS_TOPIC_ARN": edge.topic_arn,
        "ORIGIN_URL": edge.origin_url,
        "HEALTH_CHECK_PATH": "/health",
    }
    token = edge.start_rotation()
    with environment(env):
        handler = load_handler("functions/origin_secret_rotation", fresh=True)
        for step in STEPS:
            result = handler(_event(edge, step, token), LocalContext())
            assert result["step"] == step
            edge.check_invariant()
    pending = edge.value("AWSCURRENT")
    assert pending != INITIAL and edge.header_sent() == pending
    logged = capsys.readouterr().out
    assert '"RotationSucceeded"' in logged  # the EMF metric the dashboard shows
    assert pending not in logged and INITIAL not in logged


def test_the_handler_names_a_missing_setting():
    env = {"ORIGIN_WEB_ACL_ARN": "", "DISTRIBUTION_ID": "E1", "ALERTS_TOPIC_ARN": "a"}
    with environment(env), pytest.raises(ConfigError, match="ORIGIN_WEB_ACL_ARN"):
        load_handler("functions/origin_secret_rotation", fresh=True)


def test_the_sample_rotation_event_parses_as_secrets_manager_sends_it():
    event = RotationEvent.parse(load_event("secretsmanager_rotation"))
    assert event.step == "createSecret" and event.token.startswith("6f2d9c1e")


class _Redirector(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.seen.append(self.headers.get("X-Origin-Verify"))  # type: ignore[attr-defined]
        self.send_response(302)
        self.send_header("Location", self.server.target)  # type: ignore[attr-defined]
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_the_probe_never_carries_the_header_to_a_redirect_target():
    servers = []
    for _ in range(2):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirector)
        server.seen = []  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    first, elsewhere = servers
    first.target = f"http://127.0.0.1:{elsewhere.server_address[1]}/"  # type: ignore[attr-defined]
    elsewhere.target = "http://127.0.0.1:9/"  # type: ignore[attr-defined]
    try:
        result = probe.request(f"http://127.0.0.1:{first.server_address[1]}/", "s3cret", 2)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
    assert result.status == 302
    assert first.seen == ["s3cret"] and elsewhere.seen == []  # type: ignore[attr-defined]


def test_an_alert_that_cannot_be_published_does_not_hide_the_steps_outcome(edge: Edge):
    rotator = edge.rotator()
    token = edge.start_rotation()
    run_rotation(edge, rotator, token, ("createSecret", "setSecret", "testSecret"))
    _fail_once(rotator.clients.sns, "Publish", "KMSAccessDeniedException")
    outcome = rotator.handle(_event(edge, "finishSecret", token))
    assert outcome.changed == ["AWSCURRENT moved"]
    assert edge.value("AWSCURRENT") == edge.header_sent()


def test_the_backend_watch_sees_every_change_and_catches_a_lockout(edge: Edge):
    with watch(edge.acl["ARN"], edge.distribution_id) as seen:
        run_rotation(edge, edge.rotator(observe=False), edge.start_rotation())
    seen.assert_held()
    assert seen.checks >= 4  # start, rule widened, CloudFront switched, end
    with watch(edge.acl["ARN"], edge.distribution_id) as broken:
        ref = origin_rule.WebAclRef.from_arn(edge.acl["ARN"])
        origin_rule.admit(edge.waf, ref, ("wrong", "wrong"), lambda _d: True)
    assert broken.violations  # the watch can fail: dropping what CloudFront sends is caught


def test_a_current_value_longer_than_wafs_match_string_is_refused_before_any_change(edge: Edge):
    """WAF's string match holds at most 200 bytes ("AWS WAF API Reference:
    ByteMatchStatement"): a longer value would pass CloudFront and fail in setSecret."""
    long_value = "L" * 201
    edge.sm.put_secret_value(SecretId=edge.secret_arn, SecretString=long_value)
    token = edge.start_rotation()
    with pytest.raises(RotationError, match="not a valid HTTP header value") as raised:
        edge.rotator().handle(_event(edge, "createSecret", token))
    assert long_value not in str(raised.value)
    assert edge.header_sent() == INITIAL and set(edge.admitted()) == {INITIAL}
    assert edge.value("AWSCURRENT") == long_value  # nothing staged over it


def test_a_current_value_of_200_characters_rotates():
    assert validate_value({"SecretString": "v" * 200}) == "v" * 200
    with pytest.raises(RotationError):
        validate_value({"SecretString": "v" * 201})

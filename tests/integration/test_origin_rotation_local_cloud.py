"""Acceptance: the origin secret rotates through the local cloud (the real template, the
rotation function as deployed, the origin stand-in deciding with the live REGIONAL web ACL),
and in every scenario the invariant watch proves that after every change to the web ACL or
the distribution, every header value CloudFront may be sending is admitted."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from moto.cloudfront.models import CloudFrontBackend
from moto.core.exceptions import JsonRESTError
from moto.secretsmanager.models import SecretsManagerBackend
from moto.wafv2.models import WAFV2Backend

from edgeguard.rotation import origin_rule
from edgeguard_tools.local import moto_ext
from edgeguard_tools.local.cloud import LocalCloud, RotationFailed
from edgeguard_tools.local.origin_watch import InvariantWatch, watch

FUNCTION = "OriginSecretRotationFunction"
STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud(quiet=True) as running:
        yield running
    moto_ext.reset_distribution_settle_reads()


@pytest.fixture
def watched(cloud: LocalCloud) -> Iterator[InvariantWatch]:
    with watch(cloud.attribute("OriginWebAcl", "Arn"), cloud.resource("EdgeDistribution")) as w:
        yield w
    w.assert_held()


def status(cloud: LocalCloud, value: str | None) -> int:
    headers = {"X-Origin-Verify": value} if value is not None else {}
    request = urllib.request.Request(cloud.origin_url + "/", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def secret(cloud: LocalCloud, stage: str = "AWSCURRENT") -> str:
    sm = cloud.client("secretsmanager")
    return sm.get_secret_value(SecretId=cloud.resource("OriginSecret"), VersionStage=stage)[
        "SecretString"
    ]


def header_sent(cloud: LocalCloud) -> str:
    config = cloud.client("cloudfront").get_distribution_config(
        Id=cloud.resource("EdgeDistribution")
    )["DistributionConfig"]
    return config["Origins"]["Items"][0]["CustomHeaders"]["Items"][0]["HeaderValue"]


def admitted(cloud: LocalCloud) -> list[str]:
    ref = origin_rule.WebAclRef.from_arn(cloud.attribute("OriginWebAcl", "Arn"))
    return origin_rule.current_values(cloud.client("wafv2"), ref)


def stages(cloud: LocalCloud) -> dict[str, list[str]]:
    sm = cloud.client("secretsmanager")
    return sm.describe_secret(SecretId=cloud.resource("OriginSecret"))["VersionIdsToStages"]


def telegram_titles(cloud: LocalCloud) -> list[str]:
    return [m["text"].splitlines()[0] for m in cloud.telegram_messages]


def step_event(cloud: LocalCloud, step: str, token: str) -> dict[str, str]:
    return {"Step": step, "SecretId": cloud.resource("OriginSecret"), "ClientRequestToken": token}


class Patch:
    """Wrap a moto backend method for one test (fault injection below AWS's API)."""

    def __init__(self) -> None:
        self._undo: list[tuple[type, str, Any]] = []

    def wrap(self, cls: type, name: str, make: Callable[[Callable[..., Any]], Callable[..., Any]]):
        original = getattr(cls, name)
        self._undo.append((cls, name, original))
        setattr(cls, name, make(original))

    def undo(self) -> None:
        for cls, name, original in reversed(self._undo):
            setattr(cls, name, original)


@pytest.fixture
def patch() -> Iterator[Patch]:
    patcher = Patch()
    yield patcher
    patcher.undo()


def fail_once(error: Exception) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    state = {"left": 1}

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            if state["left"]:
                state["left"] -= 1
                raise error
            return original(self, *args, **kwargs)

        return wrapper

    return make


def test_a_full_rotation_admits_both_values_mid_rotation_and_refuses_no_header(
    cloud: LocalCloud, watched: InvariantWatch
):
    before = secret(cloud)
    assert status(cloud, before) == 200 and status(cloud, None) == 403
    mid: dict[str, int] = {}

    def after_change(where: str) -> None:
        if where.endswith("update_distribution"):  # CloudFront was just told the new value
            mid.update(current=status(cloud, before), pending=status(cloud, header_sent(cloud)))
            mid["none"] = status(cloud, None)

    watched.on_change = after_change
    report = cloud.rotate_secret("OriginSecret")
    assert [step for step, _ in report.steps] == list(STEPS)
    assert mid == {"current": 200, "pending": 200, "none": 403}
    after = secret(cloud)
    assert after != before and header_sent(cloud) == after
    assert sorted(admitted(cloud)) == sorted([before, after])
    assert stages(cloud)[report.token] == ["AWSCURRENT"]
    assert "Origin secret rotated" in " ".join(telegram_titles(cloud))
    assert all(before not in m["text"] and after not in m["text"] for m in cloud.telegram_messages)


def test_three_rotations_in_a_row_each_narrow_to_the_latest_pair(
    cloud: LocalCloud, watched: InvariantWatch
):
    values = [secret(cloud)]
    for _ in range(3):
        moto_ext.settle_distribution(cloud.resource("EdgeDistribution"))
        cloud.rotate_secret("OriginSecret")
        values.append(secret(cloud))
    assert len(set(values)) == 4
    assert sorted(admitted(cloud)) == sorted(values[-2:])
    assert status(cloud, values[0]) == 403 and status(cloud, values[-1]) == 200


@pytest.mark.parametrize("step", STEPS)
def test_a_step_whose_invocation_dies_after_its_work_is_retried_harmlessly(
    cloud: LocalCloud, watched: InvariantWatch, step: str
):
    """The nastiest failure for idempotency: the work was done, the invocation still failed."""
    call = cloud._call
    died = {"n": 0}

    def dying(logical_id: str, event: Any, source: str) -> Any:
        result = call(logical_id, event, source)
        if logical_id == FUNCTION and event.get("Step") == step and not died["n"]:
            died["n"] += 1
            raise TimeoutError("Task timed out after 300.00 seconds")
        return result

    cloud._call = dying  # type: ignore[method-assign]
    before = secret(cloud)
    report = cloud.rotate_secret("OriginSecret", retries=1)
    assert dict(report.steps)[step] == 2
    after = secret(cloud)
    assert after != before and header_sent(cloud) == after
    assert status(cloud, after) == 200


@pytest.mark.parametrize(
    ("step", "cls", "method"),
    [
        ("createSecret", SecretsManagerBackend, "put_secret_value"),
        ("setSecret", CloudFrontBackend, "update_distribution"),
        ("finishSecret", SecretsManagerBackend, "update_secret_version_stage"),
    ],
)
def test_a_step_failing_once_inside_aws_is_retried(
    cloud: LocalCloud, watched: InvariantWatch, patch: Patch, step, cls, method
):
    patch.wrap(cls, method, fail_once(JsonRESTError("ServiceUnavailable", "injected, once")))
    report = cloud.rotate_secret("OriginSecret", retries=1)
    assert dict(report.steps)[step] == 2
    assert header_sent(cloud) == secret(cloud)
    failed = [t for t in telegram_titles(cloud) if "rotation failed" in t]
    assert failed, "the failed attempt was reported on the alerts topic"


def test_test_secret_failing_once_at_the_origin_is_retried(
    cloud: LocalCloud, watched: InvariantWatch
):
    assert cloud.origin is not None
    decide = cloud.origin.decide
    state = {"armed": False, "left": 1}
    call = cloud._call

    def arm(logical_id: str, event: Any, source: str) -> Any:
        state["armed"] = logical_id == FUNCTION and event.get("Step") == "testSecret"
        return call(logical_id, event, source)

    def flaky(headers):
        if state["armed"] and state["left"]:
            state["left"] -= 1
            return "BLOCK", None  # e.g. an origin restarting during the test
        return decide(headers)

    cloud._call = arm  # type: ignore[method-assign]
    cloud.origin.decide = flaky  # type: ignore[method-assign]
    report = cloud.rotate_secret("OriginSecret", retries=1)
    assert dict(report.steps)["testSecret"] == 2
    assert header_sent(cloud) == secret(cloud)


def test_a_second_rotation_racing_the_first_is_refused_and_the_first_completes(
    cloud: LocalCloud, watched: InvariantWatch
):
    call = cloud._call
    raced: dict[str, Any] = {}

    def race(logical_id: str, event: Any, source: str) -> Any:
        result = call(logical_id, event, source)
        if event.get("Step") == "setSecret" and "error" not in raced:
            try:  # a second rotation starts while the first is mid-way
                cloud.rotate_secret("OriginSecret")
            except RotationFailed as error:
                raced["error"] = str(error)
        return result

    cloud._call = race  # type: ignore[method-assign]
    first = cloud.rotate_secret("OriginSecret")
    cloud._call = call  # type: ignore[method-assign]
    assert "previous rotation is still in progress" in raced["error"]
    assert stages(cloud)[first.token] == ["AWSCURRENT"]
    moto_ext.settle_distribution(cloud.resource("EdgeDistribution"))
    second = cloud.rotate_secret("OriginSecret")  # now it may run
    assert stages(cloud)[second.token] == ["AWSCURRENT"]
    # a late, duplicated invocation of the first rotation changes nothing
    before = (admitted(cloud), header_sent(cloud), stages(cloud))
    for step in STEPS:  # refused by the documented guard: that version is no longer pending
        with pytest.raises(Exception, match=r"not set as AWSPENDING|no stage"):
            cloud.invoke(FUNCTION, step_event(cloud, step, first.token))
    assert (admitted(cloud), header_sent(cloud), stages(cloud)) == before


def test_a_rotation_while_cloudfront_still_deploys_waits_then_completes(
    cloud: LocalCloud, watched: InvariantWatch
):
    moto_ext.set_distribution_settle_reads(None)  # CloudFront deploys until settled
    original = secret(cloud)
    cloud.rotate_secret("OriginSecret")  # rotation 1: finishes while CloudFront deploys
    state_after_first = (sorted(admitted(cloud)), header_sent(cloud))
    with pytest.raises(RotationFailed, match="setSecret"):
        cloud.rotate_secret("OriginSecret")  # rotation 2 must not drop the original yet
    assert (sorted(admitted(cloud)), header_sent(cloud)) == state_after_first
    assert status(cloud, original) == 200  # edges may still send it: still admitted
    token = next(v for v, s in stages(cloud).items() if s == ["AWSPENDING"])
    # a retried setSecret while still deploying: still waits, still changes nothing
    with pytest.raises(Exception, match="Deployed"):
        cloud.invoke(FUNCTION, step_event(cloud, "setSecret", token))
    moto_ext.settle_distribution(cloud.resource("EdgeDistribution"))
    for step in ("setSecret", "testSecret", "finishSecret"):
        cloud.invoke(FUNCTION, step_event(cloud, step, token))
    assert stages(cloud)[token] == ["AWSCURRENT"] and status(cloud, original) == 403
    # (the local cloud delivers what a failed invocation published with the next success)
    assert any("rotation waits" in t for t in telegram_titles(cloud))
    # and a setSecret retried while its own CloudFront change deploys succeeds, doing nothing
    moto_ext.settle_distribution(cloud.resource("EdgeDistribution"))
    call, retried = cloud._call, []

    def duplicate_set_secret(logical_id: str, event: Any, source: str) -> Any:
        result = call(logical_id, event, source)
        if logical_id == FUNCTION and event.get("Step") == "setSecret":
            deploying = cloud.client("cloudfront").get_distribution(
                Id=cloud.resource("EdgeDistribution")
            )["Distribution"]["Status"]
            retried.append((deploying, call(logical_id, event, source)["changed"]))
        return result

    cloud._call = duplicate_set_secret  # type: ignore[method-assign]
    cloud.rotate_secret("OriginSecret")
    assert retried == [("InProgress", [])]


def test_lock_conflicts_on_the_web_acl_and_the_distribution_are_retried(
    cloud: LocalCloud, watched: InvariantWatch, patch: Patch
):
    wafv2, cloudfront = cloud.client("wafv2"), cloud.client("cloudfront")
    acl = origin_rule.WebAclRef.from_arn(cloud.attribute("OriginWebAcl", "Arn"))
    distribution = cloud.resource("EdgeDistribution")
    conflicts = {"waf": 0, "cloudfront": 0}

    def operator_edits_acl(original):
        def wrapper(self, *args, **kwargs):
            if not conflicts["waf"]:
                conflicts["waf"] += 1  # an operator saves the ACL between read and write
                got = wafv2.get_web_acl(Name=acl.name, Scope=acl.scope, Id=acl.id)
                request = origin_rule.update_request(
                    wafv2, got["WebACL"], got["LockToken"], acl,
                    rule_name="origin-verify",
                    statement=origin_rule.find_rule(got["WebACL"])["Statement"],
                )  # fmt: skip
                request["Description"] = "edited by an operator"
                wafv2.update_web_acl(**request)  # through the API, as the operator would
            return original(self, *args, **kwargs)

        return wrapper

    def operator_edits_distribution(original):
        def wrapper(self, *args, **kwargs):
            if not conflicts["cloudfront"]:
                conflicts["cloudfront"] += 1
                got = cloudfront.get_distribution_config(Id=distribution)
                config = got["DistributionConfig"] | {"Comment": "edited by an operator"}
                cloudfront.update_distribution(
                    Id=distribution, IfMatch=got["ETag"], DistributionConfig=config
                )
            return original(self, *args, **kwargs)

        return wrapper

    patch.wrap(WAFV2Backend, "update_web_acl", operator_edits_acl)
    patch.wrap(CloudFrontBackend, "update_distribution", operator_edits_distribution)
    report = cloud.rotate_secret("OriginSecret")
    assert conflicts == {"waf": 1, "cloudfront": 1}
    assert dict(report.steps)["setSecret"] == 1  # retried inside the step, not by Secrets Manager
    acl_now = wafv2.get_web_acl(Name=acl.name, Scope=acl.scope, Id=acl.id)["WebACL"]
    assert acl_now["Description"] == "edited by an operator"
    assert cloudfront.get_distribution_config(Id=distribution)["DistributionConfig"]["Comment"] == (
        "edited by an operator"
    )
    assert header_sent(cloud) == secret(cloud)


def test_alerts_reach_telegram_without_the_value(cloud: LocalCloud):
    cloud.rotate_secret("OriginSecret")
    text = json.dumps(cloud.telegram_messages)
    assert "Origin secret rotated" in text
    assert secret(cloud) not in text

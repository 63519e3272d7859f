"""Demo chapter: the origin secret rotates and CloudFront is never refused by the origin.

Everything runs through the local cloud: Secrets Manager drives the template's rotation
function through its four steps; the origin stand-in (the ALB on 127.0.0.1) admits a request
only when the REGIONAL web ACL's origin-verify rule, read live from moto, allows its
X-Origin-Verify header. The invariant watch checks after every change to the web ACL or the
distribution that every value CloudFront may be sending is admitted. Values are shown only
as fingerprints.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request

from edgeguard_tools.demo.localcloud import local_cloud
from edgeguard_tools.demo.story import Story
from edgeguard_tools.local import moto_ext
from edgeguard_tools.local.cloud import LocalCloud
from edgeguard_tools.local.origin_watch import watch

TITLE = "Origin secret: rotated with no moment of lockout"


def _fingerprint(value: str) -> str:
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()[:8]


def _status(cloud: LocalCloud, value: str | None) -> int:
    headers = {"X-Origin-Verify": value} if value is not None else {}
    request = urllib.request.Request(cloud.origin_url + "/", headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - 127.0.0.1
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def _current(cloud: LocalCloud) -> str:
    sm = cloud.client("secretsmanager")
    return str(sm.get_secret_value(SecretId=cloud.resource("OriginSecret"))["SecretString"])


def _header_sent(cloud: LocalCloud) -> str:
    config = cloud.client("cloudfront").get_distribution_config(
        Id=cloud.resource("EdgeDistribution")
    )["DistributionConfig"]
    return str(config["Origins"]["Items"][0]["CustomHeaders"]["Items"][0]["HeaderValue"])


def run(story: Story) -> None:
    cloud = local_cloud()
    old = _current(cloud)
    story.step(
        f"origin stand-in (the ALB behind OriginWebAcl) at {cloud.origin_url}; CloudFront "
        f"sends X-Origin-Verify {_fingerprint(_header_sent(cloud))}"
    )
    story.expect(
        "before: CloudFront's value is admitted, no header and a guess are refused",
        (_status(cloud, old), _status(cloud, None), _status(cloud, "guess")) == (200, 403, 403),
    )

    mid: dict[str, int] = {}
    seen: list[str] = []  # told after the rotation: the function's output is captured meanwhile

    def at_change(where: str) -> None:
        if where.endswith("update_web_acl"):
            seen.append("setSecret: the origin-verify rule now admits AWSCURRENT and AWSPENDING")
        if where.endswith("update_distribution"):
            new = _header_sent(cloud)
            seen.append(f"setSecret: CloudFront now sends {_fingerprint(new)} (deploying)")
            mid.update(old=_status(cloud, old), new=_status(cloud, new), none=_status(cloud, None))
            seen.append(
                f"mid-rotation: old value -> {mid['old']}, new value -> {mid['new']}, "
                f"no header -> {mid['none']}"
            )

    acl_arn = cloud.attribute("OriginWebAcl", "Arn")
    distribution = cloud.resource("EdgeDistribution")
    before_messages = len(cloud.telegram_messages)
    story.step(
        "Secrets Manager rotates OriginSecret (createSecret, setSecret, testSecret, finishSecret)"
    )
    with watch(acl_arn, distribution, at_change) as watched:
        report = cloud.rotate_secret("OriginSecret")
    new = _current(cloud)
    for line in seen:
        story.step(line)
    story.step(f"steps run: {', '.join(step for step, _ in report.steps)}")
    story.expect(
        "mid-rotation both values are admitted and a request without the header is refused",
        mid == {"old": 200, "new": 200, "none": 403},
        str(mid),
    )
    story.expect(
        "after: the new value is AWSCURRENT and is what CloudFront sends",
        new != old and _header_sent(cloud) == new,
    )
    story.expect(
        f"no lockout at any of the {watched.checks} checked points",
        watched.checks >= 3 and not watched.violations,
        "; ".join(watched.violations),
    )
    sent = [m["text"].splitlines()[0] for m in cloud.telegram_messages[before_messages:]]
    for line in sent:
        story.step(f"Telegram shows: {line}")
    story.expect(
        "the rotation is reported on the alerts topic, without the value",
        any("Origin secret rotated" in line for line in sent)
        and all(new not in m["text"] for m in cloud.telegram_messages),
    )

    story.step("CloudFront finishes deploying; the next rotation retires the old value")
    moto_ext.settle_distribution(distribution)
    with watch(acl_arn, distribution) as second:
        cloud.rotate_secret("OriginSecret")
    story.expect(
        "the next rotation refuses the retired value and admits the current one, no lockout",
        _status(cloud, old) == 403
        and _status(cloud, _current(cloud)) == 200
        and not second.violations,
    )

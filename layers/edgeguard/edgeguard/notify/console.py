"""Where an alert points: AWS console deep links and the exact ``edgeguard`` commands.

A ``Console`` knows the partition, region and account (taken from the alerts topic's ARN,
which every automation has) and the stack name (``EDGEGUARD_STACK``, the template's
``AWS::StackName``). Its methods return https URLs of the shapes the AWS Management
Console uses for one resource, and the CLI commands that undo a decision exactly as
``tools/edgeguard_tools/cli/breaker.py`` parses them.

Console hosts per partition ("AWS General Reference: AWS Management Console endpoints"):
``<region>.console.aws.amazon.com`` (aws), ``console.amazonaws-us-gov.com`` (aws-us-gov),
``console.amazonaws.cn`` (aws-cn). WAF resources of CLOUDFRONT scope live in us-east-1
and the WAF console names that scope ``region=global``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from edgeguard.config import optional

_ARN = re.compile(r"^arn:(aws[a-z-]*):[a-z0-9-]+:([a-z0-9-]*):(\d{12}|):")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


def _q(text: str) -> str:
    """Percent-encode everything but unreserved characters (a path segment or value)."""
    return quote(str(text), safe="")


@dataclass(frozen=True)
class Console:
    """Partition, region, account and stack of the deployed edgeguard (all may be empty:
    a link that cannot be built is left out, a command without ``--stack-name`` uses the
    CLI's default)."""

    partition: str = "aws"
    region: str = ""
    account: str = ""
    stack: str = ""

    @classmethod
    def from_arn(cls, arn: str, stack: str = "") -> Console:
        """Partition, region and account of any ARN (e.g. the alerts topic's); an empty
        Console (only ``stack``) when ``arn`` is not one."""
        match = _ARN.match(arn or "")
        if match is None:
            return cls(stack=stack)
        return cls(match.group(1), match.group(2), match.group(3), stack)

    @classmethod
    def deployed(cls, arn: str, environ: Mapping[str, str] | None = None) -> Console:
        """``from_arn(arn)`` with the stack name of EDGEGUARD_STACK (optional)."""
        return cls.from_arn(arn, optional("EDGEGUARD_STACK", "", environ))

    def in_region(self, region: str) -> Console:
        """The same console for another region (a finding's own), when ``region`` is one."""
        if not _REGION.match(region or ""):
            return self
        return Console(self.partition, region, self.account, self.stack)

    # ----------------------------------------------------------------- commands
    def where(self) -> str:
        """The ``--stack-name``/``--region`` options of every command (shell-quoted)."""
        parts = []
        if self.stack:
            parts += ["--stack-name", shlex.quote(self.stack)]
        if self.region:
            parts += ["--region", self.region]
        return " ".join(parts)

    def command(self, *words: str) -> str:
        """``edgeguard <words> <where>``, each word shell-quoted."""
        text = " ".join(["edgeguard", *(shlex.quote(w) for w in words)])
        where = self.where()
        return f"{text} {where}" if where else text

    def unblock(self, value: str, scope: str = "ip") -> str:
        """The command that lifts a decision on ``value`` (CIDR, or tenant id for
        ``scope="tenant"``): ``edgeguard unblock <CIDR>`` / ``edgeguard tenant unblock <ID>``."""
        if scope == "tenant":
            return self.command("tenant", "unblock", value)
        return self.command("unblock", value)

    def unblock_all(self, values: list[str], origin: str, shown: int = 3) -> str:
        """One ``unblock`` command per value (lines), at most ``shown``; then the command
        that lists all of them (``decisions --origin <origin> --since 1h``)."""
        lines = [self.unblock(value) for value in values[:shown]]
        if len(values) > shown:
            lines.append(f"all {len(values)}: {self.decisions(origin, '1h')}")
        return "\n".join(lines)

    def decisions(self, origin: str = "", since: str = "") -> str:
        """The command that lists active decisions, optionally of one origin since a time."""
        words = ["decisions"]
        if origin:
            words += ["--origin", origin]
        if since:
            words += ["--since", since]
        return self.command(*words)

    # -------------------------------------------------------------------- links
    def _host(self, region: str | None = None) -> str:
        region = self.region if region is None else region
        if self.partition == "aws-us-gov":
            return "https://console.amazonaws-us-gov.com"
        if self.partition == "aws-cn":
            return "https://console.amazonaws.cn"
        return (
            f"https://{region}.console.aws.amazon.com"
            if region
            else ("https://console.aws.amazon.com")
        )

    def _regional(self, service_path: str, fragment: str = "", region: str | None = None) -> str:
        region = self.region if region is None else region
        url = f"{self._host(region)}/{service_path}?region={region}"
        return f"{url}#{fragment}" if fragment else url

    def guardduty_finding(self, finding_id: str) -> str:
        """The GuardDuty findings page with the finding selected (``fId``)."""
        return self._regional("guardduty/home", f"/findings?macros=current&fId={_q(finding_id)}")

    def securityhub_finding(self, finding_id: str) -> str:
        """Security Hub CSPM's findings page filtered to the finding ``Id`` (an ASFF ARN);
        the console's filter is itself percent-encoded, so the id is encoded twice."""
        search = "Id%3D%255Coperator%255C%253AEQUALS%255C%253A" + _q(_q(finding_id))
        return self._regional("securityhub/home", f"/findings?search={search}")

    def securityhub_v2_finding(self, finding_uid: str) -> str:
        """The current Security Hub's findings page filtered to an OCSF ``finding_info.uid``."""
        search = "finding_info.uid%3D%255Coperator%255C%253AEQUALS%255C%253A" + _q(_q(finding_uid))
        return self._regional("securityhub/v2/home", f"/findings?search={search}")

    def waf_ip_sets(self) -> str:
        """The WAF console's IP sets of CLOUDFRONT scope (where every ban is enforced)."""
        return f"{self._host('us-east-1')}/wafv2/homev2/ip-sets?region=global"

    def waf_ip_set(self, name: str, set_id: str, scope: str = "CLOUDFRONT") -> str:
        """One WAF IP set (name and id), CLOUDFRONT scope as ``region=global``."""
        region = "global" if scope == "CLOUDFRONT" else self.region
        host = self._host("us-east-1" if scope == "CLOUDFRONT" else self.region)
        return f"{host}/wafv2/homev2/ip-set/{_q(name)}/{_q(set_id)}?region={region}"

    def stepfunctions_execution(self, execution_arn: str) -> str:
        """A Step Functions execution's details page."""
        region = Console.from_arn(execution_arn).region or self.region
        return self._regional(
            "states/home", f"/v2/executions/details/{execution_arn}", region=region
        )

    def cloudwatch_alarm(self, alarm_name: str) -> str:
        """A CloudWatch alarm's page."""
        return self._regional("cloudwatch/home", f"alarmsV2:alarm/{_q(alarm_name)}")

    def s3_object(self, bucket: str, key: str) -> str:
        """An S3 object's page (the log file a ban came from)."""
        return (
            f"{self._host()}/s3/object/{_q(bucket)}?region={self.region}&bucketType=general"
            f"&prefix={_q(key)}"
        )

    def cloudtrail_event(self, event_id: str) -> str:
        """A CloudTrail event in the event history."""
        return self._regional("cloudtrailv2/home", f"/events/{_q(event_id)}")

    def cloudtrail_trail(self, trail_arn: str) -> str:
        """A trail's page (by ARN)."""
        return self._regional("cloudtrailv2/home", f"/trails/{trail_arn}")

    def secret(self, secret_id: str) -> str:
        """A Secrets Manager secret's page (``name`` accepts the name or the ARN)."""
        return f"{self._host()}/secretsmanager/secret?name={_q(secret_id)}&region={self.region}"

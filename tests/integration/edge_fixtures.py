"""A real-shaped edge in moto for rotation tests: the origin secret, the REGIONAL web ACL with
its origin-verify rule (plus other settings that must survive), a CloudFront distribution
sending X-Origin-Verify, and an origin on 127.0.0.1 that admits a request only when the web
ACL's rule (read from moto at that moment) admits its header."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
from moto.backends import get_backend

from edgeguard.rotation import origin_rule
from edgeguard.rotation.service import Clients, OriginSecretRotator, RotationSettings
from edgeguard_tools.local import moto_ext

REGION = "us-east-1"
ACCOUNT = "123456789012"
INITIAL = "initialvalue0123456789abcdefghijklmnopqrstuvwxyz0"


def _vis(name: str) -> dict[str, Any]:
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name}


def create_origin_acl(waf: Any, value: str) -> dict[str, Any]:
    """The web ACL the template declares, plus settings a careless update would reset."""
    return waf.create_web_acl(
        Name="edgeguard-test-origin",
        Scope="REGIONAL",
        DefaultAction={
            "Block": {"CustomResponse": {"ResponseCode": 403, "CustomResponseBodyKey": "denied"}}
        },
        Description="admits only CloudFront",
        Rules=[
            {
                "Name": "origin-verify",
                "Priority": 0,
                "Action": {"Allow": {}},
                "Statement": origin_rule.verify_statement(value, value),
                "VisibilityConfig": _vis("edgeguard-origin-verify"),
            },
            {
                "Name": "operator-extra",
                "Priority": 1,
                "Action": {"Count": {}},
                "Statement": {
                    "ByteMatchStatement": {
                        "SearchString": b"/admin",
                        "FieldToMatch": {"UriPath": {}},
                        "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}],
                        "PositionalConstraint": "STARTS_WITH",
                    }
                },
                "VisibilityConfig": _vis("operator-extra"),
            },
        ],
        VisibilityConfig=_vis("edgeguard-origin"),
        CustomResponseBodies={"denied": {"ContentType": "TEXT_PLAIN", "Content": "forbidden"}},
        CaptchaConfig={"ImmunityTimeProperty": {"ImmunityTime": 300}},
        ChallengeConfig={"ImmunityTimeProperty": {"ImmunityTime": 120}},
        TokenDomains=["example.com"],
        AssociationConfig={"RequestBody": {"API_GATEWAY": {"DefaultSizeInspectionLimit": "KB_32"}}},
    )["Summary"]


def distribution_config(value: str, reference: str = "edge-test") -> dict[str, Any]:
    origin = {
        "Id": "alb",
        "DomainName": "edgeguard-alb-123.us-east-1.elb.amazonaws.com",
        "CustomHeaders": {
            "Quantity": 1,
            "Items": [{"HeaderName": "X-Origin-Verify", "HeaderValue": value}],
        },
        "CustomOriginConfig": {
            "HTTPPort": 80,
            "HTTPSPort": 443,
            "OriginProtocolPolicy": "https-only",
        },
    }
    return {
        "CallerReference": reference,
        "Comment": "edgeguard test",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "alb",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
        },
    }


class _OriginHandler(BaseHTTPRequestHandler):
    server: OriginServer

    def do_GET(self) -> None:
        value = self.headers.get("X-Origin-Verify")
        admitted = self.server.edge.admits(value)
        self.server.edge.origin_requests.append(admitted)
        body = b"ok" if admitted else b"forbidden"
        self.send_response(200 if admitted else 403)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class OriginServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, edge: Edge) -> None:
        super().__init__(("127.0.0.1", 0), _OriginHandler)
        self.edge = edge


@dataclass
class Edge:
    """Handles on the moto edge and the invariant: what an edge may send is admitted."""

    secret_arn: str
    acl: dict[str, Any]
    distribution_id: str
    topic_arn: str
    queue_url: str
    in_flight: set[str] = field(default_factory=set)
    checks: int = 0
    origin_requests: list[bool] = field(default_factory=list)
    server: OriginServer | None = None

    def __post_init__(self) -> None:
        self.waf = boto3.client("wafv2", region_name=REGION)
        self.cf = boto3.client("cloudfront", region_name=REGION)
        self.sm = boto3.client("secretsmanager", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)

    # ---- what the rule admits and what CloudFront may send
    def admits(self, value: str | None) -> bool:
        """The origin's decision: WAF's origin-verify rule, read from moto right now."""
        return value is not None and value in self.admitted()

    def admitted(self) -> list[str]:
        return origin_rule.current_values(self.waf, origin_rule.WebAclRef.from_arn(self.acl["ARN"]))

    def header_sent(self) -> str:
        config = self.cf.get_distribution_config(Id=self.distribution_id)["DistributionConfig"]
        return config["Origins"]["Items"][0]["CustomHeaders"]["Items"][0]["HeaderValue"]

    def status(self) -> str:
        return self.cf.get_distribution(Id=self.distribution_id)["Distribution"]["Status"]

    def set_deployed(self) -> None:
        """CloudFront finished propagating: every edge sends the configured header."""
        moto_ext.settle_distribution(self.distribution_id)
        self.check_invariant()

    def check_invariant(self) -> None:
        """Every value an edge location may be sending is admitted by the origin rule."""
        sent = self.header_sent()
        if self.status() == "Deployed":
            self.in_flight = {sent}
        else:
            self.in_flight.add(sent)
        admitted = self.admitted()
        missing = self.in_flight - set(admitted)
        self.checks += 1
        assert not missing, "LOCKOUT: CloudFront may send a value the origin rule refuses"

    # ---- secrets
    def stages(self) -> dict[str, list[str]]:
        return self.sm.describe_secret(SecretId=self.secret_arn)["VersionIdsToStages"]

    def value(self, stage: str) -> str:
        return self.sm.get_secret_value(SecretId=self.secret_arn, VersionStage=stage)[
            "SecretString"
        ]

    def start_rotation(self) -> str:
        """What RotateSecret does before it calls the function: rotation on, and a new
        version id (the token) staged AWSPENDING with no value yet. (moto's RotateSecret
        without a Lambda would make that empty version AWSCURRENT instead.)"""
        secret = get_backend("secretsmanager")[ACCOUNT][REGION].secrets[self.secret_arn]
        token = str(uuid.uuid4())
        secret.remove_version_stages_from_old_versions(["AWSPENDING"])
        secret.versions[token] = {
            "createdate": int(time.time()),
            "version_id": token,
            "version_stages": ["AWSPENDING"],
        }
        secret.rotation_enabled = secret.rotation_requested = True
        secret.auto_rotate_after_days = 30
        return token

    def alerts(self) -> list[str]:
        out = []
        while True:
            got = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            if not got.get("Messages"):
                return out
            for message in got["Messages"]:
                out.append(message["Body"])
                self.sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )

    @property
    def origin_url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def rotator(self, *, origin: bool = True, observe: bool = True) -> OriginSecretRotator:
        """A rotator on its own clients; with ``observe`` the invariant is checked after
        every AWS call it makes."""
        clients = Clients(
            secretsmanager=boto3.client("secretsmanager", region_name=REGION),
            wafv2=boto3.client("wafv2", region_name=REGION),
            cloudfront=boto3.client("cloudfront", region_name=REGION),
            sns=boto3.client("sns", region_name=REGION),
        )
        if observe:
            for client in (clients.secretsmanager, clients.wafv2, clients.cloudfront):
                client.meta.events.register("after-call.*", lambda **_: self.check_invariant())
        settings = RotationSettings(
            web_acl_arn=self.acl["ARN"],
            distribution_id=self.distribution_id,
            alerts_topic_arn=self.topic_arn,
            origin_url=self.origin_url if origin else "",
            health_path="/health",
            probe_timeout=2.0,
        )
        return OriginSecretRotator(settings, clients, sleep=lambda _s: None)


def build_edge() -> Edge:
    """Create the edge in the active moto mock and start the origin server."""
    sm = boto3.client("secretsmanager", region_name=REGION)
    waf = boto3.client("wafv2", region_name=REGION)
    cf = boto3.client("cloudfront", region_name=REGION)
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    moto_ext.install()
    # CloudFront stays "InProgress" after every update until the test settles it.
    moto_ext.set_distribution_settle_reads(None)
    secret = sm.create_secret(Name="edgeguard/test/origin-verify", SecretString=INITIAL)
    acl = create_origin_acl(waf, INITIAL)
    dist = cf.create_distribution(DistributionConfig=distribution_config(INITIAL))["Distribution"]
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="alerts-copy")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    edge = Edge(secret["ARN"], acl, dist["Id"], topic, queue_url)
    edge.set_deployed()
    edge.server = OriginServer(edge)
    threading.Thread(target=edge.server.serve_forever, daemon=True).start()
    return edge


def run_rotation(
    edge: Edge, rotator: OriginSecretRotator, token: str, steps: tuple[str, ...] | None = None
) -> None:
    for step in steps or ("createSecret", "setSecret", "testSecret", "finishSecret"):
        rotator.handle({"Step": step, "SecretId": edge.secret_arn, "ClientRequestToken": token})
        edge.check_invariant()

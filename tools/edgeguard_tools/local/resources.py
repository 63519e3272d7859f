"""What the local cloud does with each resource type, and what Ref/GetAtt answer for it.

Types are created in moto by a creator (edgeguard_tools.local.creators, .creators_edge:
the resolved CloudFormation properties turned into the boto3 calls CloudFormation would
make), exist only as wiring (``WIRING_TYPES``: functions, rules, subscriptions, ...), are
played by a stand-in (``STAND_IN_TYPES``: the origin's network and compute) or have
nothing to emulate (``INERT_TYPES``); anything else is listed in ``skipped`` with the
reason. ``Physical`` is what CloudFormation would answer for a resource; what is not
created gets deterministic names here (``virtual_physical``, ``virtual_attribute``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from edgeguard_tools.local.template import ACCOUNT_ID, REGION, Template, TemplateError

# Types that exist only as wiring: the local cloud delivers to/through them itself.
WIRING_TYPES = {
    "AWS::Serverless::Function": "runs in process (edgeguard_tools.local.handlers)",
    "AWS::Lambda::Function": "runs in process (edgeguard_tools.local.handlers)",
    "AWS::Events::Rule": "routed by the local cloud with EventBridge semantics",
    "AWS::Scheduler::Schedule": "fired by LocalCloud.tick",
    "AWS::SNS::Subscription": "delivered by the local cloud (sqs subscriptions: by moto)",
    "AWS::Lambda::EventSourceMapping": "polled by the local cloud",
    "AWS::SecretsManager::RotationSchedule": "driven by LocalCloud.rotate_secret",
    "AWS::Lambda::EventInvokeConfig": "async retries and destinations applied in process",
    "AWS::Lambda::Url": "served on 127.0.0.1 by the local cloud (local.function_urls)",
}
# The protected edge's network and compute: locally the origin stand-in (127.0.0.1, deciding
# with the live REGIONAL web ACL) plays the ALB with its listener, targets and Fargate tasks;
# security groups, the VPC and the prefix list lookup only restrict who may connect.
STAND_IN_TYPES = {
    "AWS::EC2::VPC": "network of the origin: the stand-in listens on 127.0.0.1",
    "AWS::EC2::InternetGateway": "network of the origin",
    "AWS::EC2::VPCGatewayAttachment": "network of the origin",
    "AWS::EC2::Subnet": "network of the origin",
    "AWS::EC2::RouteTable": "network of the origin",
    "AWS::EC2::Route": "network of the origin",
    "AWS::EC2::SubnetRouteTableAssociation": "network of the origin",
    "AWS::EC2::SecurityGroup": "who may connect to the origin: not enforced on 127.0.0.1",
    "AWS::EC2::SecurityGroupEgress": "who may connect to the origin: not enforced on 127.0.0.1",
    "AWS::EC2::SecurityGroupIngress": "who may connect to the origin: not enforced on 127.0.0.1",
    "Custom::ManagedPrefixList": "feeds only the ALB security group",
    "AWS::ElasticLoadBalancingV2::LoadBalancer": "played by the origin stand-in",
    "AWS::ElasticLoadBalancingV2::Listener": "played by the origin stand-in",
    "AWS::ElasticLoadBalancingV2::ListenerRule": "played by the origin stand-in",
    "AWS::ElasticLoadBalancingV2::TargetGroup": "played by the origin stand-in",
    "AWS::ECS::Cluster": "the application behind the origin stand-in",
    "AWS::ECS::TaskDefinition": "the application behind the origin stand-in",
    "AWS::ECS::Service": "the application behind the origin stand-in",
    "AWS::WAFv2::WebACLAssociation": "the stand-in always applies OriginWebAcl",
    "AWS::WAFv2::LoggingConfiguration": "WAF does not log locally",
    # CloudFront serves no traffic locally: tests put log objects at the keys these
    # deliveries use, and real-time records on the stream, themselves.
    "AWS::Logs::DeliverySource": "CloudFront does not deliver logs locally",
    "AWS::Logs::DeliveryDestination": "CloudFront does not deliver logs locally",
    "AWS::Logs::Delivery": "CloudFront does not deliver logs locally",
    "AWS::CloudFront::RealtimeLogConfig": "CloudFront does not put real-time records locally",
}
# Types with nothing to emulate locally (permissions are not enforced by moto).
INERT_TYPES = {
    "AWS::Serverless::LayerVersion",
    "AWS::Lambda::LayerVersion",
    "AWS::Lambda::Permission",
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::SQS::QueuePolicy",
    "AWS::SNS::TopicPolicy",
    "AWS::S3::BucketPolicy",
    "AWS::CloudWatch::Dashboard",
}


@dataclass
class Physical:
    """What CloudFormation would answer for a resource: Ref and GetAtt attributes."""

    ref: Any
    attributes: dict[str, Any] = field(default_factory=dict)
    created: bool = False


ClientFactory = Callable[[str], Any]


def local_arn(service: str, resource: str, region: str = REGION) -> str:
    """An ARN in the local account: ``arn:aws:<service>:<region>:<account>:<resource>``."""
    return f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{resource}"


def function_name(template: Template, logical_id: str, props: dict[str, Any]) -> str:
    """A function's physical name: its FunctionName, else ``<stack>-<logical id>``."""
    return str(props.get("FunctionName") or f"{template.stack_name}-{logical_id}")


def virtual_physical(
    template: Template, logical_id: str, kind: str, props: dict[str, Any]
) -> Physical:
    """Deterministic names for resources that are not created in moto."""
    name = f"{template.stack_name}-{logical_id}"
    if kind in {"AWS::Serverless::Function", "AWS::Lambda::Function"}:
        fn = function_name(template, logical_id, props)
        arn = local_arn("lambda", f"function:{fn}")
        return Physical(fn, {"Arn": arn})
    if kind == "AWS::Lambda::Url":
        # The URL itself is set once the local cloud serves it (LocalCloud: function_urls).
        target = props.get("TargetFunctionArn")
        return Physical(target, {"FunctionArn": target, "FunctionUrl": f"<{logical_id} URL>"})
    if kind == "AWS::Events::Rule":
        rule = str(props.get("Name") or name)
        return Physical(rule, {"Arn": local_arn("events", f"rule/{rule}")})
    if kind in {"AWS::IAM::Role", "AWS::IAM::ManagedPolicy"}:
        role = str(props.get("RoleName") or name)
        return Physical(role, {"Arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{role}", "RoleId": role})
    if kind in {"AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"}:
        layer = str(props.get("LayerName") or name)
        return Physical(local_arn("lambda", f"layer:{layer}:1"))
    if kind == "AWS::Logs::LogGroup":
        group = str(props.get("LogGroupName") or name)
        return Physical(group, {"Arn": local_arn("logs", f"log-group:{group}:*")})
    if kind == "AWS::SecurityHub::ActionTarget":
        target = str(props.get("Id") or logical_id)
        return Physical(local_arn("securityhub", f"action/custom/{target}"))
    if kind == "AWS::SecurityHub::Hub":
        hub = local_arn("securityhub", "hub/default")
        return Physical(hub, {"ARN": hub})
    if kind == "AWS::ElasticLoadBalancingV2::LoadBalancer":
        # Not created: locally the origin stand-in is the load balancer. Names only, in
        # AWS's forms, so the distribution's origin and outputs resolve.
        lb = str(props.get("Name") or logical_id)[:32]
        full = f"app/{lb}/0123456789abcdef"
        return Physical(
            local_arn("elasticloadbalancing", f"loadbalancer/{full}"),
            {
                "DNSName": f"{lb}-1234567890.{REGION}.elb.amazonaws.com",
                "LoadBalancerFullName": full,
                "LoadBalancerName": lb,
                "CanonicalHostedZoneID": "Z35SXDOTRQ7X7K",
            },
        )
    return Physical(name, {"Arn": local_arn("local", name)})


def virtual_attribute(logical_id: str, name: str) -> str:
    """A stable stand-in for an attribute of a resource that is not emulated."""
    slug = logical_id.lower()
    if name.endswith("Arn") or name == "Arn":
        return local_arn("local", f"{slug}/{name.lower()}")
    if name.endswith(("DNSName", "DomainName")):
        return f"{slug}.local.{REGION}.amazonaws.com"
    return f"{slug}-{name.lower()}-local"


def state_machine_definition(template: Template, props: dict[str, Any]) -> str:
    """The definition text with DefinitionSubstitutions applied (``${Name}``)."""
    if "Definition" in props:
        text = json.dumps(props["Definition"])
    elif "DefinitionString" in props:
        text = str(props["DefinitionString"])
    elif "DefinitionUri" in props and isinstance(props["DefinitionUri"], str):
        text = (template.root / props["DefinitionUri"]).read_text(encoding="utf-8")
    else:
        raise TemplateError("a state machine needs Definition, DefinitionString or DefinitionUri")
    for key, value in (props.get("DefinitionSubstitutions") or {}).items():
        text = text.replace("${" + key + "}", str(value))
    return text


def unique_suffix() -> str:
    """Twelve random hex digits, for names that must not collide."""
    return uuid.uuid4().hex[:12]

"""Creators for the edge: WAF IP sets, regex pattern sets and web ACLs, CloudFront distributions.

Their CloudFormation properties are not their API's parameters: ``api_params`` converts
values to the API's shapes the way CloudFormation does (member names matched without
case, numbers and booleans from strings), ``cloudfront_config`` builds a
DistributionConfig from the CloudFormation form (``Quantity``/``Items`` lists, defaults).
Each creator returns a ``Physical`` whose Ref is what CloudFormation's is
(``name|id|scope`` for WAF, the distribution id for CloudFront). ``api_params`` also
serves the CloudWatch alarm creator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from edgeguard_tools.local.resources import ClientFactory, Physical


def waf_set(kind: str) -> Callable[[ClientFactory, str, dict[str, Any]], Physical]:
    """The creator of an IP set (``kind`` ``ip``) or a regex pattern set (``regex``)."""

    def create(clients: ClientFactory, name: str, props: dict[str, Any]) -> Physical:
        waf = clients("wafv2")
        args: dict[str, Any] = {
            "Name": str(props.get("Name") or name),
            "Scope": props["Scope"],
            "Description": props.get("Description") or "-",
        }
        if kind == "ip":
            args |= {
                "IPAddressVersion": props["IPAddressVersion"],
                "Addresses": props.get("Addresses", []),
            }
            summary = waf.create_ip_set(**args)["Summary"]
        else:
            args["RegularExpressionList"] = [
                {"RegexString": item if isinstance(item, str) else item["RegexString"]}
                for item in props.get("RegularExpressionList", [])
            ]
            summary = waf.create_regex_pattern_set(**args)["Summary"]
        ref = f"{summary['Name']}|{summary['Id']}|{props['Scope']}"
        return Physical(ref, {"Arn": summary["ARN"], "Id": summary["Id"]}, True)

    return create


def web_acl(clients: ClientFactory, name: str, props: dict[str, Any]) -> Physical:
    """An AWS::WAFv2::WebACL; its rules converted to the API's shapes (``api_params``)."""
    args: dict[str, Any] = {
        "Name": str(props.get("Name") or name),
        "Scope": props["Scope"],
        "DefaultAction": props["DefaultAction"],
        "VisibilityConfig": props["VisibilityConfig"],
        "Rules": props.get("Rules", []),
    }
    for key in (
        "Description",
        "CustomResponseBodies",
        "CaptchaConfig",
        "ChallengeConfig",
        "TokenDomains",
        "AssociationConfig",
    ):
        if key in props:
            args[key] = props[key]
    wafv2 = clients("wafv2")
    shape = wafv2.meta.service_model.operation_model("CreateWebACL").input_shape
    summary = wafv2.create_web_acl(**api_params(args, shape))["Summary"]
    ref = f"{summary['Name']}|{summary['Id']}|{props['Scope']}"
    attrs = {"Arn": summary["ARN"], "Id": summary["Id"], "LabelNamespace": ""}
    return Physical(ref, attrs, True)


def api_params(value: Any, shape: Any) -> Any:
    """CloudFormation property values -> what the API's shape expects, as CloudFormation
    itself converts them: member names matched case-insensitively (``Arn`` -> ``ARN``),
    numbers and booleans from their string form (parameters resolve to strings)."""
    kind = getattr(shape, "type_name", None)
    if kind == "structure" and isinstance(value, dict):
        members = {name.lower(): name for name in shape.members}
        out = {}
        for key, item in value.items():
            name = members.get(str(key).lower(), key)
            member = shape.members.get(name)
            out[name] = api_params(item, member) if member is not None else item
        return out
    if kind == "list" and isinstance(value, list):
        return [api_params(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: api_params(item, shape.value) for key, item in value.items()}
    if kind in ("integer", "long") and isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    if kind in ("float", "double") and isinstance(value, str | int):
        try:
            return float(value)
        except ValueError:
            return value
    if kind == "boolean" and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def distribution(clients: ClientFactory, name: str, props: dict[str, Any]) -> Physical:
    """An AWS::CloudFront::Distribution from its CloudFormation DistributionConfig."""
    config = cloudfront_config(props["DistributionConfig"], caller_reference=name)
    response = clients("cloudfront").create_distribution(DistributionConfig=config)
    distribution = response["Distribution"]
    attrs = {"DomainName": distribution["DomainName"], "Id": distribution["Id"]}
    return Physical(distribution["Id"], attrs, True)


def _items(values: list[Any] | None) -> dict[str, Any]:
    values = list(values or [])
    return {"Quantity": len(values), "Items": values} if values else {"Quantity": 0}


def cloudfront_config(cfn: dict[str, Any], caller_reference: str) -> dict[str, Any]:
    """CloudFormation's DistributionConfig shape -> the API's (Quantity/Items lists)."""
    origins = []
    for origin in cfn.get("Origins", []):
        item: dict[str, Any] = {
            "Id": origin["Id"],
            "DomainName": origin["DomainName"],
            "OriginPath": origin.get("OriginPath", ""),
            "CustomHeaders": _items(
                [
                    {"HeaderName": h["HeaderName"], "HeaderValue": h["HeaderValue"]}
                    for h in origin.get("OriginCustomHeaders", [])
                ]
            ),
        }
        custom = origin.get("CustomOriginConfig")
        if custom is not None:
            item["CustomOriginConfig"] = {
                "HTTPPort": int(custom.get("HTTPPort", 80)),
                "HTTPSPort": int(custom.get("HTTPSPort", 443)),
                "OriginProtocolPolicy": custom.get("OriginProtocolPolicy", "https-only"),
                "OriginSslProtocols": _items(custom.get("OriginSSLProtocols", ["TLSv1.2"])),
                "OriginReadTimeout": int(custom.get("OriginReadTimeout", 30)),
                "OriginKeepaliveTimeout": int(custom.get("OriginKeepaliveTimeout", 5)),
            }
        else:
            item["S3OriginConfig"] = {"OriginAccessIdentity": ""}
        origins.append(item)
    behavior = dict(cfn.get("DefaultCacheBehavior") or {})
    default_behavior: dict[str, Any] = {
        "TargetOriginId": behavior.get("TargetOriginId", origins[0]["Id"] if origins else ""),
        "ViewerProtocolPolicy": behavior.get("ViewerProtocolPolicy", "redirect-to-https"),
    }
    if "CachePolicyId" in behavior:
        default_behavior["CachePolicyId"] = behavior["CachePolicyId"]
    else:
        default_behavior |= {
            "MinTTL": 0,
            "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
        }
    if "OriginRequestPolicyId" in behavior:
        default_behavior["OriginRequestPolicyId"] = behavior["OriginRequestPolicyId"]
    config: dict[str, Any] = {
        "CallerReference": caller_reference,
        "Origins": _items(origins),
        "DefaultCacheBehavior": default_behavior,
        "Comment": cfn.get("Comment", ""),
        "Enabled": bool(cfn.get("Enabled", True)),
    }
    if "WebACLId" in cfn:
        config["WebACLId"] = cfn["WebACLId"]
    if "Aliases" in cfn:
        config["Aliases"] = _items(cfn["Aliases"])
    return config

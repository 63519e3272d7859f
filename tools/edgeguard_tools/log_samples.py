"""Writers of real-shaped log objects (documented formats), for tests and the demo.

CloudFront standard (legacy): gzip, ``#Version``/``#Fields`` header, 33 tab-separated
fields, URL-encoded user agent. ALB: space-separated, quoted request and user agent,
trailing fields up to conn_trace_id. WAF: one JSON object per line.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import datetime
from urllib.parse import quote

from edgeguard.logs.cloudfront import DOCUMENTED_FIELDS

BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


def _request_id(*parts: object) -> str:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    import base64  # noqa: PLC0415

    return base64.urlsafe_b64encode(digest + digest[:10]).decode()[:56]


def cloudfront_line(
    when: datetime,
    ip: str,
    uri: str,
    status: int = 200,
    query: str = "-",
    *,
    ua: str = BROWSER,
    method: str = "GET",
    result: str = "Miss",
) -> str:
    """One request in the documented 33-field order; ``query`` as logged (URL-encoded)."""
    size = 5120 if status == 200 else 421
    values = {
        "date": when.strftime("%Y-%m-%d"),
        "time": when.strftime("%H:%M:%S"),
        "x-edge-location": "FRA56-P5",
        "sc-bytes": str(size),
        "c-ip": ip,
        "cs-method": method,
        "cs(Host)": "d111111abcdef8.cloudfront.net",
        "cs-uri-stem": uri,
        "sc-status": str(status),
        "cs(Referer)": "-",
        "cs(User-Agent)": quote(ua, safe="/;:(),.+_-") if ua else "-",
        "cs-uri-query": query or "-",
        "cs(Cookie)": "-",
        "x-edge-result-type": result if status < 400 else "Error",
        "x-edge-request-id": _request_id(when, ip, uri, query),
        "x-host-header": "www.example.com",
        "cs-protocol": "https",
        "cs-bytes": "412",
        "time-taken": "0.031",
        "x-forwarded-for": "-",
        "ssl-protocol": "TLSv1.3",
        "ssl-cipher": "TLS_AES_128_GCM_SHA256",
        "x-edge-response-result-type": result if status < 400 else "Error",
        "cs-protocol-version": "HTTP/2.0",
        "fle-status": "-",
        "fle-encrypted-fields": "-",
        "c-port": "52311",
        "time-to-first-byte": "0.029",
        "x-edge-detailed-result-type": result if status < 400 else "Error",
        "sc-content-type": "text/html",
        "sc-content-len": str(size),
        "sc-range-start": "-",
        "sc-range-end": "-",
    }
    return "\t".join(values[name] for name in DOCUMENTED_FIELDS)


def cloudfront_object(lines: list[str], compress: bool = True) -> bytes:
    """A CloudFront log object: header lines, then the requests; gzip like CloudFront writes."""
    text = "#Version: 1.0\n#Fields: " + " ".join(DOCUMENTED_FIELDS) + "\n"
    text += "".join(line + "\n" for line in lines)
    return gzip.compress(text.encode()) if compress else text.encode()


def cloudfront_v2_parquet_object(lines: list[str]) -> bytes:
    """Standard logging v2 in Parquet: the legacy lines' fields plus ``c-country`` and
    ``cache-behavior-path-pattern`` (AWS's default v2 selection), one string column per
    field, named as Athena's table for CloudFront Parquet logs names them (``c_ip``,
    ``cs_user_agent``; "Amazon Athena User Guide: Create a table for CloudFront logs in
    Athena using partition projection with Parquet").
    """
    import io  # noqa: PLC0415

    import polars as pl  # noqa: PLC0415

    from edgeguard.logs.cloudfront_fields import V2_DEFAULT_FIELDS, athena_column  # noqa: PLC0415

    names = [athena_column(field) for field in V2_DEFAULT_FIELDS]
    rows = [[*line.split("\t"), "DE", "*"] for line in lines]
    frame = pl.DataFrame(rows, schema={name: pl.String for name in names}, orient="row")
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def alb_line(
    when: datetime,
    ip: str,
    uri: str,
    status: int = 200,
    query: str = "",
    *,
    ua: str = BROWSER,
    method: str = "GET",
) -> str:
    """One ALB access log entry with every documented field through conn_trace_id."""
    url = f"https://www.example.com:443{uri}{'?' + query if query else ''}"
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
    return (
        f"https {stamp} app/edgeguard-alb/50dc6c495c0c9188 {ip}:52311 10.0.1.15:8080 "
        f"0.000 0.012 0.000 {status} {status} 412 5120 "
        f'"{method} {url} HTTP/1.1" "{ua}" TLS_AES_128_GCM_SHA256 TLSv1.3 '
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app/73e2d6bc24d8a067 "
        f'"Root=1-58337364-23a8c76965a2ef7629b185e3" "www.example.com" '
        '"arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012" '
        f'0 {stamp} "forward" "-" "-" "10.0.1.15:8080" "{status}" "-" "-" '
        "TID_1a2b3c4d5e6f7a8b9c0d"
    )


def alb_object(lines: list[str], compress: bool = True) -> bytes:
    text = "".join(line + "\n" for line in lines).encode()
    return gzip.compress(text) if compress else text


def waf_record(
    when: datetime,
    ip: str,
    uri: str,
    action: str = "ALLOW",
    *,
    args: str = "",
    ua: str = BROWSER,
    rule: str = "Default_Action",
    method: str = "GET",
) -> str:
    """One WAF log record (JSON) in the documented shape."""
    record = {
        "timestamp": int(when.timestamp() * 1000),
        "formatVersion": 1,
        "webaclId": "arn:aws:wafv2:us-east-1:123456789012:global/webacl/edgeguard/a1b2c3d4",
        "terminatingRuleId": rule,
        "terminatingRuleType": "REGULAR",
        "action": action,
        "terminatingRuleMatchDetails": [],
        "httpSourceName": "CF",
        "httpSourceId": "E2EXAMPLE1234",
        "ruleGroupList": [],
        "rateBasedRuleList": [],
        "nonTerminatingMatchingRules": [],
        "requestHeadersInserted": None,
        "responseCodeSent": None,
        "httpRequest": {
            "clientIp": ip,
            "country": "NL",
            "headers": [
                {"name": "host", "value": "www.example.com"},
                {"name": "user-agent", "value": ua},
                {"name": "accept", "value": "*/*"},
            ],
            "uri": uri,
            "args": args,
            "httpVersion": "HTTP/2.0",
            "httpMethod": method,
            "requestId": _request_id(when, ip, uri, args)[:40],
        },
        "labels": [{"name": "awswaf:clientip:geo:country:NL"}],
    }
    return json.dumps(record, separators=(",", ":"))


def waf_object(records: list[str], compress: bool = True) -> bytes:
    text = "".join(record + "\n" for record in records).encode()
    return gzip.compress(text) if compress else text

"""Security response figures: planning a large findings delivery, and the whole path
(event -> remediation -> Telegram) in the local cloud, in process. The local figures
measure edgeguard's own work and the in-process wiring, not AWS latency."""

from __future__ import annotations

import copy
import time

from edgeguard.response.findings import plan
from edgeguard_tools.events import load_event
from edgeguard_tools.local.cloud import LocalCloud

TRAIL = "management-events"


def run() -> list[tuple[str, str]]:
    rows = []
    event = load_event("securityhub_imported_cloudtrail_disabled")
    many = copy.deepcopy(event)
    finding = many["detail"]["findings"][0]
    many["detail"]["findings"] = [{**finding, "Id": f"{finding['Id']}-{i}"} for i in range(100)]
    repeat = 50
    started = time.perf_counter()
    for _ in range(repeat):
        tasks = plan(many).tasks
    per = (time.perf_counter() - started) / repeat
    rows.append(("plan 100-finding delivery", f"{per * 1e3:,.2f} ms ({len(tasks)} tasks)"))

    with LocalCloud(quiet=True) as cloud:
        cloudtrail = cloud.client("cloudtrail")
        cloud.client("s3").create_bucket(Bucket="org-audit-logs")
        cloudtrail.create_trail(Name=TRAIL, S3BucketName="org-audit-logs")
        hub = cloud.client("securityhub")
        hub.enable_security_hub()
        hub.batch_import_findings(Findings=event["detail"]["findings"])

        cloudtrail.stop_logging(Name=TRAIL)
        started = time.perf_counter()
        cloud.put_event(load_event("cloudtrail_stop_logging"))
        took = time.perf_counter() - started
        logging = cloudtrail.get_trail_status(Name=TRAIL)["IsLogging"]
        rows.append(
            (
                "StopLogging event -> logging + Telegram (local)",
                f"{took * 1e3:,.0f} ms, logging={logging}",
            )
        )

        cloudtrail.stop_logging(Name=TRAIL)
        started = time.perf_counter()
        cloud.put_event(event)
        took = time.perf_counter() - started
        logging = cloudtrail.get_trail_status(Name=TRAIL)["IsLogging"]
        rows.append(
            (
                "finding -> state machine -> RESOLVED (local)",
                f"{took * 1e3:,.0f} ms, logging={logging}",
            )
        )
        rows.append(("Telegram messages", str(len(cloud.telegram_messages))))
    return rows

"""S3 event notifications in the shape AWS sends them.

moto 5.2.5 builds the notification record with ``quote_plus(key)``, which also
encodes ``/`` (``cloudfront%2Fx.gz``); S3 form-encodes the key but keeps the slashes
(``cloudfront/E2ABC.2026-11-21-10.abc.gz``, a space as ``+``, ``=`` as ``%3D``). The
record also lacked ``userIdentity``, ``requestParameters``, ``responseElements`` and the
object's ``sequencer``. Here the record is completed as the S3 user guide's "Event
message structure" shows it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus

from moto.s3 import notifications
from moto.s3.notifications import _get_s3_event as _moto_get_s3_event

_SEQUENCE = {"next": 0}


def _get_s3_event(
    event_name: str, bucket: Any, key: Any, notification_id: str
) -> dict[str, list[dict[str, Any]]]:
    event = _moto_get_s3_event(event_name, bucket, key, notification_id)
    _SEQUENCE["next"] += 1
    for record in event["Records"]:
        record.setdefault("userIdentity", {"principalId": "AWS:AIDAEXAMPLELOCALCLOUD"})
        record.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
        record.setdefault(
            "responseElements",
            {"x-amz-request-id": f"LOCAL{_SEQUENCE['next']:011d}", "x-amz-id-2": "local"},
        )
        obj = record["s3"]["object"]
        obj["key"] = quote_plus(key.name, safe="/")
        obj.setdefault("sequencer", f"{_SEQUENCE['next']:016X}")
        version = getattr(key, "version_id", None)
        if version and version != "null":
            obj.setdefault("versionId", version)
        record["s3"]["bucket"].setdefault("ownerIdentity", {"principalId": "AEXAMPLELOCALCLOUD"})
    return event


def install() -> None:
    notifications._get_s3_event = _get_s3_event  # send_event looks it up at call time

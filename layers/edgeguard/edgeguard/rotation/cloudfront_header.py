"""The CloudFront side: the X-Origin-Verify origin custom header the distribution sends."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from edgeguard.errors import error_code
from edgeguard.rotation.errors import Conflict, RotationError

if TYPE_CHECKING:
    from mypy_boto3_cloudfront import CloudFrontClient

HEADER = "x-origin-verify"
MAX_ATTEMPTS = 6


@dataclass(frozen=True)
class EdgeState:
    """What the distribution is configured to send and whether that is live everywhere."""

    values: tuple[str, ...]  # header value of every origin that carries the header
    deployed: bool  # Status == Deployed: every edge location sends exactly ``values``

    @property
    def value(self) -> str:
        """The one value every origin sends.

        Raises:
            RotationError: the origins send different values.
        """
        if len(set(self.values)) != 1:
            raise RotationError("origins of the distribution send different X-Origin-Verify values")
        return self.values[0]


def _header_items(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    items = []
    for origin in (config.get("Origins") or {}).get("Items") or []:
        headers = (origin.get("CustomHeaders") or {}).get("Items") or []
        items += [h for h in headers if str(h.get("HeaderName", "")).lower() == HEADER]
    return items


def read(cloudfront: CloudFrontClient, distribution_id: str) -> EdgeState:
    """The configured header value(s) and the distribution's deployment status.

    Raises:
        RotationError: no origin of the distribution carries X-Origin-Verify.
        botocore.exceptions.ClientError: a CloudFront error.
    """
    config = cloudfront.get_distribution_config(Id=distribution_id)["DistributionConfig"]
    items = _header_items(config)
    if not items:
        raise RotationError(f"distribution {distribution_id} sends no X-Origin-Verify header")
    status = cloudfront.get_distribution(Id=distribution_id)["Distribution"]["Status"]
    return EdgeState(tuple(str(h["HeaderValue"]) for h in items), status == "Deployed")


def send(
    cloudfront: CloudFrontClient,
    distribution_id: str,
    value: str,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Make every origin carrying the header send ``value``; True if the config changed.

    UpdateDistribution carries IfMatch with the ETag just read; PreconditionFailed (someone
    else changed the distribution in between) re-reads and tries again, bounded. An
    in-progress deployment is no obstacle: the new config queues behind it. An origin
    custom header value is at most 1,783 characters ("Amazon CloudFront Developer Guide:
    Quotas").

    Raises:
        Conflict: PreconditionFailed on every one of 6 attempts.
        RotationError: no origin carries X-Origin-Verify.
        botocore.exceptions.ClientError: any other CloudFront error.
    """
    for attempt in range(MAX_ATTEMPTS):
        response = cloudfront.get_distribution_config(Id=distribution_id)
        config, etag = response["DistributionConfig"], response["ETag"]
        items = _header_items(config)
        if not items:
            raise RotationError(f"distribution {distribution_id} sends no X-Origin-Verify header")
        if all(item["HeaderValue"] == value for item in items):
            return False
        for item in items:
            item["HeaderValue"] = value
        try:
            cloudfront.update_distribution(
                Id=distribution_id, IfMatch=etag, DistributionConfig=config
            )
            return True
        except ClientError as error:
            if error_code(error) != "PreconditionFailed":
                raise
            sleep(min(2.0, 0.1 * 2**attempt) * random.uniform(0.5, 1.0))
    raise Conflict(f"distribution {distribution_id} kept changing under the rotation (ETag)")

"""Who this function runs as, so the guard can tell its own restores from tampering."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_sts import STSClient

log = logging.getLogger(__name__)


def own_role_arns(sts: STSClient) -> frozenset[str]:
    """The caller's ARN (an assumed-role session ARN in Lambda), or nothing if STS is unreachable.

    The guard's own UpdateTrail/PutEventSelectors calls come back as CloudTrail events;
    knowing its identity keeps it from reacting to itself. When STS cannot answer, only
    SUITE_ROLE_ARNS are ignored, which is safe (a restore is idempotent), never fatal.
    """
    try:
        return frozenset({str(sts.get_caller_identity()["Arn"])})
    except (BotoCoreError, ClientError, KeyError) as error:
        log.warning("own role unknown; only SUITE_ROLE_ARNS are ignored: %s", error)
        return frozenset()

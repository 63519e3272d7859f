"""The one root of edgeguard's own errors, the one throttling error, and AWS error codes.

Every error class of the runtime package derives from ``EdgeguardError`` (a caller can
catch everything edgeguard raises on purpose in one clause); an error that callers also
catch as a builtin keeps that builtin as a second base (``InvalidValue`` is a
``ValueError`` too).

Lambda reports a raised exception by its class name, and the Step Functions definitions
(``statemachines/*.asl.json``) retry and catch by that name (``Throttled``,
``NotLoggingYet``, ...): renaming a class here silently changes what a state machine
retries. ``tests/unit/test_asl_error_names.py`` pins the names the definitions use.
"""

from __future__ import annotations

from typing import Any


class EdgeguardError(Exception):
    """Something edgeguard raises on purpose; the message says what and, for settings, which."""


class Throttled(EdgeguardError, RuntimeError):
    """An AWS service throttled a call (WAF, DynamoDB, CloudTrail, Security Hub, ...).

    Raised so that the caller (a Step Functions Retry on ``Throttled``, an invocation
    retry) backs off and tries again; every call that raises it is safe to repeat.
    """


# Error codes with which AWS services say "too many requests, slow down".
THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
    }
)


def error_code(error: BaseException) -> str:
    """The AWS error code of a botocore ``ClientError`` (``""`` for anything else)."""
    response: Any = getattr(error, "response", None)
    if not isinstance(response, dict):
        return ""
    detail = response.get("Error")
    if not isinstance(detail, dict):
        return ""
    return str(detail.get("Code") or "")


def is_throttling(error: BaseException | str) -> bool:
    """Whether an AWS error (a ``ClientError`` or its code) means the call was throttled."""
    code = error if isinstance(error, str) else error_code(error)
    return code in THROTTLING_CODES

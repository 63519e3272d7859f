"""DynamoDB: one request at a time, as DynamoDB applies each single-item write atomically.

moto 5.2.5 serves concurrent requests (threads) without a lock: an UpdateItem that
creates an item inserts it first and sets its attributes afterwards, so a concurrent
GetItem can read an item without them, and two conditional writes can both pass their
condition. DynamoDB never shows a half-applied write ("Amazon DynamoDB Developer Guide:
Condition expressions"). This wraps moto's DynamoDB request dispatch in one lock.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.dynamodb.responses import DynamoHandler

from edgeguard_tools.local.moto_ext._registry import attach, original

_LOCK = threading.RLock()


def _call_action(self: DynamoHandler) -> Any:
    with _LOCK:
        return original(DynamoHandler, "call_action")(self)


def install() -> None:
    """Serialise moto's DynamoDB requests (idempotent)."""
    original(DynamoHandler, "call_action")
    attach(DynamoHandler, {"call_action": _call_action})

"""The delivery loop: what keeps the local cloud synchronous.

Work that a call started (an SNS publication, a PutEvents entry, a state machine
execution) is queued as a pending item while an operation runs. When the outermost
operation ends, ``DeliveryLoop.pump`` delivers every pending item, polls the queues and
streams that have consumers, and repeats until nothing moves (or raises after
``MAX_PUMP_ROUNDS`` rounds: a delivery loop in the wiring). A call made outside any
operation, on the main thread, is pumped when it returns (``pump_if_top_level``).

The loop knows nothing of what the items mean: ``deliver(kind, payload)`` and ``poll()``
are given to it.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

MAX_PUMP_ROUNDS = 200


@dataclass
class Pending:
    """Something a call started that is still to be delivered."""

    kind: str  # sns | event | execution
    payload: Any


class DeliveryLoop:
    """Pending work and the depth of nested operations; delivers when the outermost ends.

    ``deliver(kind, payload)`` delivers one pending item; ``poll()`` polls every event
    source mapping once and says whether anything moved.
    """

    def __init__(self, deliver: Callable[[str, Any], None], poll: Callable[[], bool]) -> None:
        self._deliver = deliver
        self._poll = poll
        self._pending: list[Pending] = []
        self._lock = threading.RLock()
        self._depth = 0
        self._pumping = False

    @contextmanager
    def operation(self) -> Iterator[None]:
        """A cloud operation: what it starts is delivered when the outermost one ends well."""
        with self._lock:
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                outermost = self._depth == 0
            if outermost and sys.exc_info()[0] is None:
                self.pump()

    def queue(self, kind: str, payload: Any) -> None:
        """Note work a call started (thread-safe: state machines run in worker threads)."""
        with self._lock:
            self._pending.append(Pending(kind, payload))

    def pump_if_top_level(self) -> None:
        """A call made outside any cloud operation (by a test, a demo) is delivered now."""
        if self._depth == 0 and threading.current_thread() is threading.main_thread():
            self.pump()

    def pump(self) -> None:
        """Deliver everything pending, poll queues and streams, until nothing moves.

        The lock guards only the pending list and the depth counter: a state machine's
        worker thread must be able to queue its publications while the pump waits for it.
        Raises ``RuntimeError`` after ``MAX_PUMP_ROUNDS`` rounds that all moved something.
        """
        with self._lock:
            if self._pumping:
                return
            self._pumping = True
            self._depth += 1
        try:
            for _ in range(MAX_PUMP_ROUNDS):
                moved = False
                while (item := self._next_pending()) is not None:
                    self._deliver(item.kind, item.payload)
                    moved = True
                moved |= self._poll()
                if not moved:
                    return
            raise RuntimeError("the local cloud kept delivering for 200 rounds: a loop?")
        finally:
            with self._lock:
                self._pumping = False
                self._depth -= 1

    def _next_pending(self) -> Pending | None:
        with self._lock:
            return self._pending.pop(0) if self._pending else None

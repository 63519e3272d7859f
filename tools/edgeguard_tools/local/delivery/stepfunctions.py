"""Step Functions executions: started in moto, which runs them, and waited for.

moto's interpreter runs an execution in a worker thread (what it covers and where it
falls short: edgeguard_tools.local.stepfunctions); ``Executions.wait`` polls
``describe_execution`` until the status is no longer RUNNING. ``running`` lists the
executions still running, so that the cloud can let them finish before it stops.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from edgeguard_tools.local.resources import ClientFactory

EXECUTION_TIMEOUT_SECONDS = 60.0


class Executions:
    """Executions of the stack's state machines.

    ``client(service)`` gives boto3 clients; ``state_machines()`` the ARNs of the
    template's state machines that exist.
    """

    def __init__(self, client: ClientFactory, state_machines: Callable[[], list[str]]) -> None:
        self._client = client
        self._state_machines = state_machines

    def start(self, state_machine_arn: str, payload: Any, wait: bool = True) -> dict[str, Any]:
        """Start an execution with ``payload`` (as JSON) as input.

        Returns ``describe_execution`` once it finished, or ``{"executionArn", "status":
        "RUNNING"}`` at once without ``wait``. ``TimeoutError`` as ``wait`` raises it.
        """
        arn = self._client("stepfunctions").start_execution(
            stateMachineArn=state_machine_arn,
            name=uuid.uuid4().hex,
            input=json.dumps(payload, default=str),
        )["executionArn"]
        if not wait:
            return {"executionArn": arn, "status": "RUNNING"}
        return self.wait(arn)

    def wait(self, arn: str, timeout: float = EXECUTION_TIMEOUT_SECONDS) -> dict[str, Any]:
        """``describe_execution`` once the status is not RUNNING; ``TimeoutError`` after
        ``timeout`` seconds."""
        sfn = self._client("stepfunctions")
        deadline = time.monotonic() + timeout
        pause = 0.002
        while True:
            description = sfn.describe_execution(executionArn=arn)
            if description["status"] != "RUNNING":
                return dict(description)
            if time.monotonic() > deadline:
                raise TimeoutError(f"execution {arn} still running after {timeout}s")
            time.sleep(pause)
            pause = min(pause * 2, 0.05)

    def running(self) -> list[str]:
        """The ARNs of executions still running; none when they cannot be listed."""
        try:
            sfn = self._client("stepfunctions")
            arns = []
            for state_machine in self._state_machines():
                listed = sfn.list_executions(stateMachineArn=state_machine, statusFilter="RUNNING")
                arns += [item["executionArn"] for item in listed["executions"]]
            return arns
        except Exception:  # the cloud is shutting down; nothing to wait for
            return []

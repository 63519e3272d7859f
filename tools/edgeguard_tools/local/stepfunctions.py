"""Step Functions in the local cloud: moto executes the definitions; notes on its reach.

How it runs: ``LocalCloud`` starts moto with
``mock_aws(config={"stepfunctions": {"execute_state_machine": True}})``, which runs
each execution with moto's ASL interpreter (vendored from LocalStack) in a worker
thread; the cloud waits for it to finish. Definitions come from the template
(``DefinitionUri`` files under statemachines/, inline ``Definition``,
``DefinitionString``) with ``DefinitionSubstitutions`` applied.

- Lambda tasks (``arn:aws:states:::lambda:invoke`` and bare function ARNs) call
  ``lambda.Invoke`` through boto3. The local cloud answers that call in process with
  a ``before-call.lambda.Invoke`` botocore hook (botocore's own short-circuit, the
  same mechanism moto uses), so the function runs with its template environment;
  an exception becomes ``FunctionError: Unhandled`` with AWS's
  ``{"errorMessage", "errorType", "stackTrace"}`` payload, which Retry/Catch match by
  ``errorType`` as in AWS. No moto Lambda function or Docker is involved.
- SDK integrations (``arn:aws:states:::sns:publish``, ``sqs:sendMessage``,
  ``dynamodb:*``, ``events:putEvents``, ``aws-sdk:<service>:<action>`` such as
  ``aws-sdk:securityhub:batchUpdateFindings`` or ``aws-sdk:wafv2:updateIPSet``) are
  boto3 calls into moto, so they see and change the same state as everything else
  (with the moto_ext gap fills installed). SNS publications from a state machine
  reach subscribed functions like any other publication.

What moto's interpreter supports (checked with moto 5.2.5, tests in
tests/integration/test_local_cloud_wiring.py): Task, Choice, Pass, Wait, Succeed,
Fail, Parallel, Map (inline ``Iterator``/``ItemProcessor``, ``ItemSelector``,
``MaxConcurrency``), Retry (ErrorEquals, MaxAttempts, IntervalSeconds, BackoffRate),
Catch with ResultPath, InputPath/Parameters/ResultSelector/ResultPath/OutputPath,
the intrinsic functions (States.Format, States.JsonToString, States.StringToJson,
States.Array*, States.MathAdd, States.UUID, States.Hash, ...), and JSONata.

Where it falls short, and what the local cloud does about it:
- Wait states and Retry intervals really sleep (IntervalSeconds is at least 1 in
  AWS too): keep retry intervals short in definitions exercised by tests, or accept
  the seconds. Not worked around: faking time inside moto's thread would mean
  patching its interpreter.
- ``aws-sdk`` errors are named ``<Service>.<Service>Exception`` for services other than
  DynamoDB/SFN (AWS names them ``SecurityHub.InvalidInputException`` etc.); a Catch on
  ``States.TaskFailed``/``States.ALL`` behaves the same, a Catch on the exact AWS name
  does not. An operation moto does not implement at all answers 404 without a
  request id and the execution fails with ``States.Runtime`` (uncatchable) -- the
  moto_ext fills exist so that does not happen for the calls edgeguard makes.
- ``.waitForTaskToken`` and ``.sync`` integrations, Distributed Map with ItemReader,
  and Activities are not used by edgeguard and not exercised here.
- The local cloud runs one function at a time (os.environ is process-wide), so Map
  and Parallel branches that call functions run one after another; a function that
  itself waited for a synchronous execution (StartSyncExecution) would deadlock.
- Execution history events carry moto's shapes; read ``describe_execution`` for
  status, output, error and cause.
"""

from __future__ import annotations

import json
from typing import Any


def failed_states(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
    """The failure events of an execution (error and cause), for tests and the demo."""
    events = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
    out = []
    for event in events:
        for key, details in event.items():
            if key.endswith("FailedEventDetails") and isinstance(details, dict):
                out.append({"type": event["type"], **details})
    return out


def output(description: dict[str, Any]) -> Any:
    """The parsed output of a finished execution (``describe_execution``), or None."""
    text = description.get("output")
    return json.loads(text) if text else None

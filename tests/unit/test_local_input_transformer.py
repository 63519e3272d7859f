"""EventBridge InputTransformer, from the user guide's "Transforming target input" examples."""

from __future__ import annotations

from edgeguard_tools.local.cloud import transform_input

EVENT = {
    "detail-type": "EC2 Instance State-change Notification",
    "detail": {"instance-id": "i-0123456789", "state": "RUNNING", "count": 3, "tags": ["a"]},
}
PATHS = {
    "instance": "$.detail.instance-id",
    "status": "$.detail.state",
    "count": "$.detail.count",
    "tags": "$.detail.tags",
}


def test_json_template_quotes_strings_outside_literals():
    template = '{"instance": <instance>, "state": [9, <status>, true], "Transformed": "Yes"}'
    assert transform_input({"InputPathsMap": PATHS, "InputTemplate": template}, EVENT) == {
        "instance": "i-0123456789",
        "state": [9, "RUNNING", True],
        "Transformed": "Yes",
    }


def test_placeholders_inside_string_literals_insert_their_text():
    template = '{"message": "instance <instance> is in state <status> (<count>)", "tags": <tags>}'
    assert transform_input({"InputPathsMap": PATHS, "InputTemplate": template}, EVENT) == {
        "message": "instance i-0123456789 is in state RUNNING (3)",
        "tags": ["a"],
    }


def test_a_template_that_is_not_json_gives_a_string():
    template = "<instance> is in state <status>"
    result = transform_input({"InputPathsMap": PATHS, "InputTemplate": template}, EVENT)
    assert result == "i-0123456789 is in state RUNNING"


def test_unknown_placeholders_and_escaped_quotes_are_left_alone():
    template = '{"text": "say \\"<status>\\" <nope>"}'
    result = transform_input({"InputPathsMap": PATHS, "InputTemplate": template}, EVENT)
    assert result == {"text": 'say "RUNNING" <nope>'}

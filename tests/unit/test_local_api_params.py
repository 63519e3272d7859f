"""CloudFormation property forms become the API's, as CloudFormation converts them."""

from __future__ import annotations

import boto3

from edgeguard_tools.local.creators_edge import api_params


def _shape(service: str, operation: str):
    client = boto3.client(service, region_name="us-east-1")
    return client.meta.service_model.operation_model(operation).input_shape


def test_waf_arn_spelling_and_numbers_from_parameters():
    rules = [
        {"Name": "r", "Priority": "3", "Action": {"Block": {}},
         "Statement": {"IPSetReferenceStatement": {"Arn": "arn:aws:wafv2:x"}}},
        {"Name": "rate", "Priority": 4, "Action": {"Block": {}},
         "Statement": {"RateBasedStatement": {"Limit": "2000", "EvaluationWindowSec": "300",
                                              "AggregateKeyType": "IP"}}},
    ]  # fmt: skip
    out = api_params({"Rules": rules}, _shape("wafv2", "CreateWebACL"))["Rules"]
    assert out[0]["Statement"]["IPSetReferenceStatement"] == {"ARN": "arn:aws:wafv2:x"}
    assert out[0]["Priority"] == 3
    assert out[1]["Statement"]["RateBasedStatement"]["Limit"] == 2000


def test_alarm_threshold_and_flags_from_strings():
    args = {"Threshold": "500", "EvaluationPeriods": "1", "ActionsEnabled": "false"}
    out = api_params(args, _shape("cloudwatch", "PutMetricAlarm"))
    assert out == {"Threshold": 500.0, "EvaluationPeriods": 1, "ActionsEnabled": False}

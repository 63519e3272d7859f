"""moto_ext: S3 notifications keep the key's slashes and carry AWS's full record."""

from __future__ import annotations

import json

import boto3
from moto import mock_aws

from edgeguard_tools.local import moto_ext


@mock_aws
def test_notification_record_has_aws_shape_and_key_encoding():
    moto_ext.install()
    s3 = boto3.client("s3", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    s3.create_bucket(Bucket="edge-logs-bucket")
    s3.put_bucket_notification_configuration(
        Bucket="edge-logs-bucket",
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    s3.put_object(Bucket="edge-logs-bucket", Key="cloudfront/dt=2026-11-21/a b.gz", Body=b"x")
    bodies = [
        json.loads(m["Body"])
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    ]
    (record,) = next(b for b in bodies if "Records" in b)["Records"]
    assert record["s3"]["object"]["key"] == "cloudfront/dt%3D2026-11-21/a+b.gz"
    assert record["s3"]["object"]["sequencer"]
    assert record["userIdentity"]["principalId"]
    assert record["requestParameters"]["sourceIPAddress"]
    assert "x-amz-request-id" in record["responseElements"]
    assert record["eventName"] == "ObjectCreated:Put"

"""moto_ext.sns: an email subscription is pending until its recipient confirms it."""

from __future__ import annotations

import boto3
from moto import mock_aws

from edgeguard_tools.local.moto_ext import confirm_subscription


def test_email_subscriptions_wait_for_confirmation_and_queues_do_not():
    with mock_aws():
        sns = boto3.client("sns", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        queue = sqs.create_queue(QueueName="q")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"])
        email = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="ops@example.com")

        def arns():
            listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
            return {s["Protocol"]: s["SubscriptionArn"] for s in listed}

        assert arns()["email"] == "PendingConfirmation"
        assert arns()["sqs"].startswith(topic)
        attributes = sns.get_subscription_attributes(SubscriptionArn=email["SubscriptionArn"])
        assert attributes["Attributes"]["PendingConfirmation"] == "true"
        assert [s["SubscriptionArn"] for s in sns.list_subscriptions()["Subscriptions"]].count(
            "PendingConfirmation"
        ) == 1

        confirm_subscription(topic, "ops@example.com")
        assert arns()["email"] == email["SubscriptionArn"]

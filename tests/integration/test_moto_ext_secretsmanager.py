"""moto_ext: after UpdateSecretVersionStage moves AWSCURRENT, GetSecretValue reads the new value."""

from __future__ import annotations

import boto3
from moto import mock_aws

from edgeguard_tools.local import moto_ext


@mock_aws
def test_get_secret_value_follows_the_awscurrent_label():
    moto_ext.install()
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    arn = sm.create_secret(Name="s", SecretString="old")["ARN"]
    old = sm.describe_secret(SecretId=arn)["VersionIdsToStages"]
    (old_version,) = old
    sm.put_secret_value(
        SecretId=arn, ClientRequestToken="t" * 32, SecretString="new", VersionStages=["AWSPENDING"]
    )
    sm.update_secret_version_stage(
        SecretId=arn,
        VersionStage="AWSCURRENT",
        MoveToVersionId="t" * 32,
        RemoveFromVersionId=old_version,
    )
    assert sm.get_secret_value(SecretId=arn)["SecretString"] == "new"
    previous = sm.get_secret_value(SecretId=arn, VersionStage="AWSPREVIOUS")
    assert previous["SecretString"] == "old"

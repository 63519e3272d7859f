"""`edgeguard teardown` against the local cloud: the template's real resources, recorded as
a CloudFormation stack in moto, deleted the way CloudFormation deletes them."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from edgeguard_tools.cli import main
from edgeguard_tools.local import provisioning
from edgeguard_tools.local.cloud import LocalCloud
from edgeguard_tools.local.stack import Stack
from edgeguard_tools.teardown import TeardownError, teardown


@pytest.fixture
def cloud():
    with LocalCloud(quiet=True) as running:
        yield running


def _session():
    return boto3.Session(region_name="us-east-1")


def _redeploy(cloud: LocalCloud) -> Stack:
    """Provision the same template with the same Environment into the same account."""
    stack = Stack(cloud.client)
    stack.template = cloud.template
    provisioning.provision(stack, cloud.client)
    return stack


def _put_logs(cloud: LocalCloud) -> None:
    with cloud.deferred():
        s3 = cloud.client("s3")
        s3.put_object(Bucket=cloud.resource("WafLogBucket"), Key="x/waf.log", Body=b"{}")


def test_sam_delete_alone_leaves_the_table_and_the_redeploy_collides(cloud):
    cfn = cloud.client("cloudformation")
    _put_logs(cloud)
    cfn.delete_stack(StackName="edgeguard")
    stack = cfn.describe_stacks(StackName="edgeguard")["Stacks"][0]
    assert stack["StackStatus"] == "DELETE_FAILED"  # the bucket holds a log
    failed = [
        s["LogicalResourceId"]
        for s in cfn.list_stack_resources(StackName="edgeguard")["StackResourceSummaries"]
        if s["ResourceStatus"] == "DELETE_FAILED"
    ]
    assert failed == ["WafLogBucket"]
    cfn.delete_stack(StackName="edgeguard", RetainResources=["WafLogBucket"])
    table = cloud.resource("DecisionsTable")
    assert table in cloud.client("dynamodb").list_tables()["TableNames"]
    with pytest.raises(ClientError, match=r"ResourceInUse|already exists"):
        _redeploy(cloud)


def test_teardown_deletes_what_is_retained_and_the_same_environment_deploys_again(cloud, capsys):
    _put_logs(cloud)
    table = cloud.resource("DecisionsTable")
    report = teardown(_session(), "edgeguard", sleep=lambda s: None)
    out = capsys.readouterr().out
    assert f"DecisionsTable {table}" in out and "retained by CloudFormation, deleted" in out
    assert "WafLogBucket" in out and "1 object version(s)" in out
    assert report.kept == []
    assert table not in cloud.client("dynamodb").list_tables()["TableNames"]
    assert cloud.client("s3").list_buckets()["Buckets"] == []
    with pytest.raises(ClientError):
        cloud.client("cloudformation").describe_stacks(StackName="edgeguard")
    again = _redeploy(cloud)
    assert again.physical["DecisionsTable"].ref == table


def test_keep_data_keeps_the_table_and_the_bucket_with_logs(cloud, capsys):
    _put_logs(cloud)
    bucket = cloud.resource("WafLogBucket")
    table = cloud.resource("DecisionsTable")
    report = teardown(_session(), "edgeguard", keep_data=True, sleep=lambda s: None)
    assert any(line.startswith(f"WafLogBucket {bucket}") for line in report.kept)
    assert any(line.startswith(f"DecisionsTable {table}") for line in report.kept)
    assert table in cloud.client("dynamodb").list_tables()["TableNames"]
    names = [b["Name"] for b in cloud.client("s3").list_buckets()["Buckets"]]
    assert names == [bucket]  # the empty log bucket went with the stack
    assert "kept    DecisionsTable" in capsys.readouterr().out
    # later, without --keep-data: what was kept goes too
    teardown(_session(), "edgeguard", sleep=lambda s: None)
    assert table not in cloud.client("dynamodb").list_tables()["TableNames"]
    assert cloud.client("s3").list_buckets()["Buckets"] == []


def test_a_missing_stack_is_a_clear_error(cloud):
    with pytest.raises(TeardownError, match="no stack 'nosuch'"):
        teardown(_session(), "nosuch", sleep=lambda s: None)


def test_the_command_takes_the_stack_of_a_samconfig_environment(cloud, capsys, tmp_path):
    """What `make delete ENV=prod` runs: the stack name comes from samconfig.toml."""
    config = tmp_path / "samconfig.toml"
    config.write_text(
        'version = 0.1\n[prod.global.parameters]\nstack_name = "edgeguard-prod"\n'
        '[default.global.parameters]\nstack_name = "edgeguard"\n'
    )
    args = ["teardown", "--local", "--config-file", str(config), "--config-env"]
    assert main([*args, "prod"]) == 1
    assert "no stack 'edgeguard-prod'" in capsys.readouterr().err
    assert main([*args, "staging"]) == 2
    assert "names no stack_name for environment 'staging'" in capsys.readouterr().err
    assert main([*args, "default"]) == 0
    assert "deleted stack edgeguard" in capsys.readouterr().out


def test_after_sam_delete_teardown_finds_the_deleted_stack_and_deletes_what_it_retained(
    cloud, capsys
):
    table = cloud.resource("DecisionsTable")
    cloud.client("cloudformation").delete_stack(StackName="edgeguard")  # sam delete
    assert table in cloud.client("dynamodb").list_tables()["TableNames"]
    assert main(["teardown", "--local", "--stack", "edgeguard"]) == 0
    out = capsys.readouterr().out
    assert "was deleted already" in out
    assert f"deleted DecisionsTable {table}" in out
    assert table not in cloud.client("dynamodb").list_tables()["TableNames"]
    # run again: what it retained is gone by now, and it says so
    assert main(["teardown", "--local", "--stack", "edgeguard"]) == 0
    assert "already gone" in capsys.readouterr().out
    _redeploy(cloud)


def test_a_secret_waiting_out_its_recovery_window_is_purged_so_its_name_is_free() -> None:
    import boto3  # noqa: PLC0415
    from moto import mock_aws  # noqa: PLC0415

    from edgeguard_tools.teardown import StackResource, purge_scheduled_secrets  # noqa: PLC0415

    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        sm = session.client("secretsmanager")
        name = "edgeguard/dev/origin-verify"
        arn = sm.create_secret(Name=name, SecretString="v" * 48)["ARN"]
        kept = sm.create_secret(Name="edgeguard/dev/other", SecretString="x")["ARN"]
        sm.delete_secret(SecretId=arn, RecoveryWindowInDays=7)
        # AWS: InvalidRequestException "already scheduled for deletion"; moto: exists
        taken = (sm.exceptions.InvalidRequestException, sm.exceptions.ResourceExistsException)
        with pytest.raises(taken):
            sm.create_secret(Name=name, SecretString="again")
        secrets = [
            StackResource("OriginSecret", arn, "AWS::SecretsManager::Secret"),
            StackResource("Other", kept, "AWS::SecretsManager::Secret"),
            StackResource("Gone", arn + "-x", "AWS::SecretsManager::Secret"),
        ]
        purged = purge_scheduled_secrets(session, secrets)
        assert [s.logical_id for s in purged] == ["OriginSecret"]
        sm.create_secret(Name=name, SecretString="again")  # the redeploy's create succeeds
        assert sm.describe_secret(SecretId=kept)["Name"] == "edgeguard/dev/other"

"""The Athena path of hunts, on the local cloud (moto) built from template.yaml.

What is real here: the workgroup and Glue tables as the template declares them (created
in moto), the query submission (the generated SQL, in the hunt workgroup, with the hunt
database), Athena's result format (text cells, a header row, null cells) and its
parsing, the scheduled function with its template environment recording decisions in
the decisions table and alerting through SNS to the Telegram stand-in.

What is not: moto does not run SQL. Its configurable results API
(``/moto-api/static/athena/query-results``) is fed the rows DuckDB computes for exactly
the SQL the code submits, over the same log files (the local hunt, itself checked
against replay in test_hunt_agreement). moto reports 0 bytes scanned, so the cost is
Athena's 10 MB minimum; a real workgroup's cut-off cancelling a query is the FAILED
state, exercised with botocore's Stubber.
"""

from __future__ import annotations

import contextlib
import io
import json
from datetime import timedelta

import boto3
import pytest
import requests
from botocore.stub import Stubber

from bench.detection import START, write_logs
from bench.traffic import generate
from edgeguard.clock import frozen_at
from edgeguard.hunt.athena import MIN_BILLED_BYTES, HuntFailed, cost_usd, run_query
from edgeguard.hunt.findings import findings_from_rows
from edgeguard.hunt.service import HuntSettings, run_hunt
from edgeguard.hunt.sources import sources
from edgeguard.hunt.sql import COLUMNS, hunt_query
from edgeguard.logs.settings import DetectionSettings
from edgeguard_tools.cli import main
from edgeguard_tools.events import load_event
from edgeguard_tools.hunt_local import classify, connect, create_views, to_duckdb
from edgeguard_tools.hunt_tables import glue_tables
from edgeguard_tools.local.cloud import LocalCloud
from edgeguard_tools.local.template import ACCOUNT_ID, REGION

NOW = START + timedelta(hours=1, minutes=5)


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    directory = tmp_path_factory.mktemp("hunt-athena")
    write_logs(generate(15_000, 777, slow_probers=1), "cloudfront", directory)
    return directory


@pytest.fixture
def cloud():
    parameters = {"ScheduledHunt": "enabled", "CloudFrontStandardLogging": "legacy"}
    with LocalCloud(parameters, quiet=True) as running:
        yield running


def duckdb_rows(directory, sql):
    """The rows DuckDB returns for ``sql`` (Trino) over the log files, as Athena's text."""
    con = connect()
    create_views(con, classify(directory), glue_tables())
    cursor = con.execute(to_duckdb(sql))
    names = [d[0] for d in cursor.description]
    return names, cursor.fetchall()


def queue_athena_results(names, rows):
    """Queue one result set on moto's Athena, in GetQueryResults' shape."""

    def cell(value):
        return {} if value is None else {"VarCharValue": str(value)}

    body = {
        "account_id": ACCOUNT_ID,
        "region": REGION,
        "results": [
            {
                "rows": [
                    {"Data": [{"VarCharValue": n} for n in names]},
                    *({"Data": [cell(v) for v in row]} for row in rows),
                ],
                "column_info": [
                    {"CatalogName": "hive", "Name": n, "Type": "varchar"} for n in names
                ],
            }
        ],
    }
    response = requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/athena/query-results", json=body, timeout=5
    )
    assert response.status_code == 201


def test_the_workgroup_and_tables_are_the_templates(cloud):
    athena, glue = cloud.client("athena"), cloud.client("glue")
    group = athena.get_work_group(WorkGroup=cloud.resource("HuntWorkGroup"))["WorkGroup"]
    config = group["Configuration"]
    assert group["Name"] == "edgeguard-dev-hunt"
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["BytesScannedCutoffPerQuery"] == 107374182400
    result = config["ResultConfiguration"]
    assert result["OutputLocation"] == f"s3://{cloud.resource('HuntResultsBucket')}/results/"
    assert result["EncryptionConfiguration"] == {
        "EncryptionOption": "SSE_KMS",
        "KmsKey": cloud.attribute("EdgeguardKey", "Arn"),
    }
    database = cloud.resource("HuntDatabase")
    assert database == "edgeguard_dev"
    table = glue.get_table(DatabaseName=database, Name="cloudfront_v2")["Table"]
    assert [k["Name"] for k in table["PartitionKeys"]] == [
        "distributionid",
        "year",
        "month",
        "day",
        "hour",
    ]
    assert table["Parameters"]["projection.enabled"] == "true"
    assert table["Parameters"]["projection.distributionid.values"] == cloud.resource(
        "EdgeDistribution"
    )
    columns = [c["Name"] for c in table["StorageDescriptor"]["Columns"]]
    assert columns == list(glue_tables().tables["cloudfront_v2"].columns)


def test_a_hunt_submits_its_sql_in_the_workgroup_and_reads_athenas_rows(cloud, logs):
    settings = HuntSettings(
        workgroup=cloud.resource("HuntWorkGroup"),
        database=cloud.resource("HuntDatabase"),
        tables={"cloudfront_legacy": "cloudfront_legacy"},
    )
    start, end = START - timedelta(hours=1), START + timedelta(hours=2)
    sql = hunt_query(DetectionSettings(), sources(settings.tables), start, end)
    names, rows = duckdb_rows(logs, sql)
    assert tuple(names) == COLUMNS
    assert any(row[names.index("overflow_at")] is None for row in rows)  # a slow finding
    queue_athena_results(names, rows)
    athena = cloud.client("athena")
    report = run_hunt(athena, settings, start, end)
    execution = athena.get_query_execution(QueryExecutionId=report.execution_id)["QueryExecution"]
    assert execution["Query"] == sql
    assert execution["WorkGroup"] == "edgeguard-dev-hunt"
    assert execution["QueryExecutionContext"]["Database"] == "edgeguard_dev"
    expected = findings_from_rows(dict(zip(names, row, strict=True)) for row in rows)
    assert report.findings == expected
    assert len(report.findings) >= 25
    assert [f.kind for f in report.findings].count("slow") == 1
    assert report.bytes_scanned == 0  # moto does not scan; Athena bills at least 10 MB
    assert report.cost_usd == cost_usd(MIN_BILLED_BYTES) == pytest.approx(10 / 1024**2 * 5)


def test_the_scheduled_function_records_findings_and_alerts(cloud, logs):
    environment = cloud.function_environment("HuntFunction")
    assert environment["HUNT_TABLES"] == "cloudfront_legacy=cloudfront_legacy,waf=waf"
    assert environment["HUNT_WINDOW_HOURS"] == "24"
    settings = HuntSettings.from_env(environment)
    # The function's own query for the 24 hours up to NOW: DuckDB answers it over the
    # legacy files (there are no WAF logs, so the waf view is the same files' absence).
    sql = hunt_query(
        settings.detection,
        sources({"cloudfront_legacy": "cloudfront_legacy"}),
        NOW - timedelta(hours=24),
        NOW,
    )
    names, rows = duckdb_rows(logs, sql)
    queue_athena_results(names, rows)
    with frozen_at(NOW):
        summary = cloud.invoke("HuntFunction", load_event("schedule_hunt"))
    submitted = cloud.client("athena").get_query_execution(
        QueryExecutionId=summary["execution_id"]
    )["QueryExecution"]["Query"]
    assert "FROM cloudfront_legacy" in submitted and "FROM waf" in submitted
    assert len(summary["findings"]) == len(rows)
    # One decision per client; a client found by two scenarios extends or keeps it.
    created = [f["client"] for f in summary["findings"] if f["status"] == "created"]
    assert sorted(created) == sorted({f["client"] for f in summary["findings"]})
    table = boto3.resource("dynamodb", region_name=REGION).Table(environment["DECISIONS_TABLE"])
    slow = next(f for f in summary["findings"] if f["kind"] == "slow")
    item = table.get_item(Key={"value": f"{slow['client']}/32", "action": "ban"})["Item"]
    assert item["origin"] == "hunt"
    assert item["reason"] == "sensitive_files (slow)"
    messages = [m["text"] for m in cloud.telegram_messages]
    (alert,) = [text for text in messages if "Hunt found" in text]
    assert "1 slow" in alert
    assert f"{slow['client']} sensitive_files" in alert


def test_a_query_athena_fails_or_cancels_is_a_hunt_failure():
    client = boto3.client("athena", region_name=REGION)
    with Stubber(client) as stub:
        stub.add_response("start_query_execution", {"QueryExecutionId": "q-1"})
        stub.add_response(
            "get_query_execution",
            {
                "QueryExecution": {
                    "QueryExecutionId": "q-1",
                    "Status": {
                        "State": "CANCELLED",
                        "StateChangeReason": "Query cancelled: bytes scanned limit exceeded",
                    },
                    "Statistics": {"DataScannedInBytes": 107374182400},
                }
            },
        )
        with pytest.raises(HuntFailed, match=r"q-1 cancelled: .*bytes scanned limit"):
            run_query(client, "SELECT 1", workgroup="w", database="d", sleep=lambda _: None)


def test_a_query_that_runs_too_long_is_stopped():
    client = boto3.client("athena", region_name=REGION)
    running = {"QueryExecution": {"QueryExecutionId": "q-2", "Status": {"State": "RUNNING"}}}
    with Stubber(client) as stub:
        stub.add_response("start_query_execution", {"QueryExecutionId": "q-2"})
        stub.add_response("get_query_execution", running)
        stub.add_response("get_query_execution", running)
        stub.add_response("stop_query_execution", {}, {"QueryExecutionId": "q-2"})
        with pytest.raises(HuntFailed, match=r"did not finish in 1 s"):
            run_query(
                client,
                "SELECT 1",
                workgroup="w",
                database="d",
                timeout_seconds=1,
                sleep=lambda _: None,
            )
        stub.assert_no_pending_responses()


@pytest.fixture
def stack(monkeypatch):
    """A deployed stack's DescribeStacks answer, by name (moto's CloudFormation would need
    every other service's extras to create one): CloudFormation calls get these through
    botocore's Stubber; every other call goes to the local cloud's moto."""
    stacks: dict[str, dict] = {}
    real_client = boto3.Session.client

    def client(self, service, *args, **kwargs):
        made = real_client(self, service, *args, **kwargs)
        if service != "cloudformation":
            return made
        stub = Stubber(made)
        for name, answer in stacks.items():
            for _ in range(2):  # the hunt's settings, then --record's decision store
                stub.add_response("describe_stacks", {"Stacks": [answer]}, {"StackName": name})
        stub.activate()
        return made

    monkeypatch.setattr(boto3.Session, "client", client)
    return stacks


def _stack_answer(name, outputs, parameters):
    return {
        "StackName": name,
        "CreationTime": START,
        "StackStatus": "UPDATE_COMPLETE",
        "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()],
        "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
    }


def _cli(*arguments):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(arguments))
    return code, out.getvalue(), err.getvalue()


def test_hunt_stack_runs_in_the_stacks_workgroup_and_records(cloud, logs, stack):
    """``edgeguard hunt --stack``: the stack's outputs and parameters say where."""
    outputs = {
        "HuntWorkGroupName": cloud.resource("HuntWorkGroup"),
        "HuntDatabaseName": cloud.resource("HuntDatabase"),
        "DecisionsTableName": cloud.resource("DecisionsTable"),
        "AlertsTopicArn": cloud.resource("AlertsTopic"),
        "IpSetSyncFunctionName": "edgeguard-dev-ipset-sync",
    }
    parameters = {"CloudFrontStandardLogging": "legacy", "WafLogDestination": "CloudWatchLogs"}
    stack["edgeguard"] = _stack_answer("edgeguard", outputs, parameters)
    start, end = START - timedelta(hours=1), START + timedelta(hours=2)
    sql = hunt_query(
        DetectionSettings(), sources({"cloudfront_legacy": "cloudfront_legacy"}), start, end
    )
    names, rows = duckdb_rows(logs, sql)
    queue_athena_results(names, rows)
    code, out, err = _cli(
        "hunt",
        "--stack",
        "edgeguard",
        "--from",
        start.isoformat(),
        "--until",
        end.isoformat(),
        "--record",
        "--json",
    )
    assert code == 0, err
    printed = [json.loads(line) for line in out.splitlines()]
    assert len(printed) == len(rows)
    assert {p["status"] for p in printed} <= {"created", "extended", "unchanged"}
    assert "workgroup edgeguard-dev-hunt" in err
    assert "recorded in the stack" in err
    athena = cloud.client("athena")
    executions = athena.list_query_executions(WorkGroup="edgeguard-dev-hunt")
    queries = [
        athena.get_query_execution(QueryExecutionId=i)["QueryExecution"]["Query"]
        for i in executions["QueryExecutionIds"]
    ]
    assert sql in queries
    table = boto3.resource("dynamodb", region_name=REGION).Table(outputs["DecisionsTableName"])
    first = printed[0]
    item = table.get_item(Key={"value": f"{first['value']}/32", "action": "ban"})["Item"]
    assert item["origin"] == "hunt"


def test_hunt_stack_without_hunt_outputs_fails_with_a_message(cloud, stack):
    stack["old-edgeguard"] = _stack_answer("old-edgeguard", {}, {})
    code, _, err = _cli("hunt", "--stack", "old-edgeguard", "--since", "1d")
    assert code == 1
    assert "has no output HuntWorkGroupName, HuntDatabaseName" in err

"""``edgeguard invoke``: one function of the template in a fresh local cloud, result as JSON."""

from __future__ import annotations

import json
from pathlib import Path

from edgeguard_tools.cli import main

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "wiring" / "template.yaml"


def test_invoke_prints_the_functions_result_as_json(capsys):
    assert main(["invoke", "NotifierFunction", "--event", "events/sns_cloudwatch_alarm.json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result == {"records": 1, "messages_sent": 1, "skipped_reason": None}


def test_parameters_reach_the_functions_environment(capsys):
    code = main(
        ["invoke", "NotifierFunction", "-e", "sns_plain_text", "--param", "TelegramChatId="]
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["skipped_reason"] == "TelegramChatId is empty: Telegram delivery is off"


def test_a_function_error_is_printed_in_lambdas_shape(capsys, tmp_path):
    event = tmp_path / "boom.json"
    event.write_text(json.dumps({"ip": "boom"}))
    code = main(["invoke", "ItemFunction", "--event", str(event), "--template", str(FIXTURE)])
    assert code == 1
    assert json.loads(capsys.readouterr().out) == {
        "errorType": "ValueError",
        "errorMessage": "refused to block boom",
    }


def test_unknown_function_and_bad_parameter_are_explained(capsys):
    assert main(["invoke", "Nope", "--event", "sns_plain_text"]) == 2
    err = capsys.readouterr().err
    assert "Nope is not a function or state machine of the template; these are:" in err
    assert "NotifierFunction" in err
    assert (
        main(["invoke", "NotifierFunction", "-e", "sns_plain_text", "-p", "Environment=BAD"]) == 2
    )
    assert "Environment='BAD'" in capsys.readouterr().err

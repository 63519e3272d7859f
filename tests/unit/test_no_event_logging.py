"""Events can carry secrets (a rotation's version, a finding's details, a bot's token in an
error): no handler logs its whole event, neither by decorator nor by environment."""

from __future__ import annotations

import ast
from pathlib import Path

from edgeguard_tools.local.template import default_template_path, load_template

ROOT = Path(__file__).resolve().parents[2]


def event_logging_calls(source: str) -> list[int]:
    """Lines that turn on event logging: ``log_event=True`` or ``logger.info(event)``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            if keyword.arg == "log_event" and not (
                isinstance(keyword.value, ast.Constant) and keyword.value.value is False
            ):
                found.append(node.lineno)
        name = getattr(node.func, "attr", "")
        if name in {"debug", "info", "warning", "error", "exception", "critical"}:
            arguments = [*node.args, *(keyword.value for keyword in node.keywords)]
            if any(isinstance(arg, ast.Name) and arg.id == "event" for arg in arguments):
                found.append(node.lineno)
    return found


def test_no_handler_logs_its_event() -> None:
    handlers = sorted((ROOT / "functions").glob("*/app.py"))
    assert len(handlers) >= 10
    found = {
        str(path.relative_to(ROOT)): lines
        for path in handlers
        if (lines := event_logging_calls(path.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_the_template_turns_on_no_event_logging() -> None:
    template = load_template(default_template_path())
    environments = [template["Globals"]["Function"].get("Environment", {}).get("Variables", {})]
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            props = resource.get("Properties") or {}
            environments.append((props.get("Environment") or {}).get("Variables") or {})
    set_on = [
        name
        for variables in environments
        for name, value in variables.items()
        if name == "POWERTOOLS_LOGGER_LOG_EVENT" and str(value).lower() != "false"
    ]
    assert set_on == []


def test_the_check_sees_event_logging() -> None:
    source = (
        "@logger.inject_lambda_context(log_event=True)\n"
        "def handler(event, context):\n"
        "    logger.info(event)\n"
        "    logger.info('x', extra=event)\n"
        "    logger.info('ok', extra={'n': 1})\n"
    )
    assert event_logging_calls(source) == [1, 3, 4]

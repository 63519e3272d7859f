"""The error names the state machines retry and catch are real exception classes.

Lambda reports a raised exception by its class name, and Step Functions matches ``Retry``
and ``Catch`` rules by that name only (no inheritance). Renaming an error class (or
aliasing it: ``Old = New`` reports ``New``) would silently stop a state machine from
retrying; this test fails instead. It also pins the one error hierarchy: every error
class of the runtime package derives from ``EdgeguardError``.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency import exceptions as idempotency_errors

import edgeguard
from edgeguard.errors import EdgeguardError, Throttled, error_code, is_throttling

ROOT = Path(__file__).resolve().parents[2]
DEFINITIONS = sorted((ROOT / "statemachines").glob("*.asl.json"))

# Raised inside a Lambda by a library edgeguard uses, not by edgeguard's own code.
LIBRARY_ERRORS = {
    "IdempotencyAlreadyInProgressError": idempotency_errors.IdempotencyAlreadyInProgressError,
}


# Callers catch these as builtins too; the second base must stay.
BUILTIN_BASES = {
    "ConfigError": RuntimeError,
    "Throttled": RuntimeError,
    "TrailGone": RuntimeError,
    "NotLoggingYet": RuntimeError,
    "EnforcementError": RuntimeError,
    "PrefixListNotFound": RuntimeError,
    "TelegramError": RuntimeError,
    "RotationError": RuntimeError,
    "InvalidValue": ValueError,
    "InvalidTrail": ValueError,
    "NotAFindingEvent": ValueError,
    "NotATrailCall": ValueError,
    "NotAnAlarmEvent": ValueError,
    "SettingsError": ValueError,
    "UnknownFormat": ValueError,
    "CorruptObject": ValueError,
}


def _runtime_modules() -> list[Any]:
    names = [
        info.name
        for info in pkgutil.walk_packages(edgeguard.__path__, "edgeguard.")
        if not info.ispkg
    ]
    return [importlib.import_module(name) for name in sorted(names)]


def _runtime_error_classes() -> dict[str, type[BaseException]]:
    """Every exception class defined in the runtime package, by module-qualified name."""
    found = {}
    for module in _runtime_modules():
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseException)
                and value.__module__ == module.__name__
            ):
                found[f"{module.__name__}.{value.__qualname__}"] = value
    return found


def _subclasses(root: type) -> Iterator[type]:
    for sub in root.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _error_names(node: Any) -> Iterator[str]:
    """Every ErrorEquals name anywhere in a definition (nested Parallel/Map states too)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("Retry", "Catch") and isinstance(value, list):
                for rule in value:
                    yield from rule.get("ErrorEquals", [])
            yield from _error_names(value)
    elif isinstance(node, list):
        for item in node:
            yield from _error_names(item)


def _ours(name: str) -> bool:
    # States.* are Step Functions' own; "<Service>.<Code>" (Lambda.*, SNS.*) come from
    # service integrations. A Python class name never contains a dot.
    return "." not in name


def test_there_are_definitions_and_they_name_edgeguard_errors() -> None:
    assert DEFINITIONS, "no statemachines/*.asl.json found"
    names = {n for path in DEFINITIONS for n in _error_names(json.loads(path.read_text()))}
    assert "Throttled" in names  # the scan finds what it is meant to find


@pytest.mark.parametrize("path", DEFINITIONS, ids=lambda p: p.name)
def test_every_error_a_state_machine_matches_is_raised_by_that_name(path: Path) -> None:
    _runtime_modules()  # import everything, so every subclass is registered
    ours = {cls.__name__ for cls in _subclasses(EdgeguardError)} | {EdgeguardError.__name__}
    library = {name for name, cls in LIBRARY_ERRORS.items() if cls.__name__ == name}
    names = {n for n in _error_names(json.loads(path.read_text())) if _ours(n)}
    unknown = sorted(names - ours - library)
    assert not unknown, (
        f"{path.name} retries/catches {unknown}, but no edgeguard error class has that "
        "name: a renamed class is never matched (Lambda reports the class name)"
    )


def test_every_runtime_error_class_derives_from_edgeguard_error() -> None:
    classes = _runtime_error_classes()
    assert "edgeguard.errors.Throttled" in classes
    outside = sorted(name for name, cls in classes.items() if not issubclass(cls, EdgeguardError))
    assert not outside, f"not under EdgeguardError: {outside}"


def test_errors_callers_catch_as_builtins_keep_the_builtin() -> None:
    by_name = {cls.__name__: cls for cls in _runtime_error_classes().values()}
    for name, builtin in BUILTIN_BASES.items():
        assert issubclass(by_name[name], builtin), name


def test_there_is_one_throttling_error() -> None:
    classes = _runtime_error_classes()
    throttling = sorted(n for n in classes if "thrott" in n.lower())
    assert throttling == ["edgeguard.errors.Throttled"]
    assert not list(_subclasses(Throttled))


def test_error_code_reads_a_client_error_and_nothing_else() -> None:
    from botocore.exceptions import ClientError  # noqa: PLC0415

    throttled = ClientError({"Error": {"Code": "ThrottlingException"}}, "GetIPSet")
    assert error_code(throttled) == "ThrottlingException"
    assert is_throttling(throttled) and is_throttling("ProvisionedThroughputExceededException")
    assert error_code(ClientError({}, "GetIPSet")) == ""
    assert error_code(ValueError("no response")) == ""
    assert not is_throttling(ClientError({"Error": {"Code": "AccessDenied"}}, "GetIPSet"))

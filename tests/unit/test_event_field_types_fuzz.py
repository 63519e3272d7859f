"""Every field of every sample event in events/ (and the finding cases) with its type
mutated: the logic behind the respond, alarm and finding handlers never raises anything but
its documented refusal of a non-event. A wrong-typed field is read as absent."""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edgeguard.alarms.record import AlarmSettings, nothing_to_do, record_offenders
from edgeguard.alarms.window import NotAnAlarmEvent, alarm_window
from edgeguard.decisions import MemoryStore
from edgeguard.findings.asff import extract_asff, finding_identifier, findings_from_custom_action
from edgeguard.findings.blocking import BlockSettings, block_finding, findings_alert
from edgeguard.findings.guardduty import extract_guardduty, finding_from_event
from edgeguard.findings.ocsf import extract_ocsf, findings_from_v2_event
from edgeguard.findings.service import FindingSettings, OcsfSettings, ocsf_skip_reason
from edgeguard.response.findings import NotAFindingEvent, plan
from edgeguard.response.steps import alert_for, note_for
from edgeguard_tools.events import project_root

ROOT = project_root()
SAMPLES = {
    path.name: json.loads(path.read_text())
    for path in [
        *sorted((ROOT / "events").glob("*.json")),
        *sorted((Path(__file__).parents[1] / "fixtures" / "findings").glob("*.json")),
    ]
}
NOW = datetime(2026, 11, 21, 23, 55, tzinfo=UTC)
COLLECTED = {
    "alarm": {"alarm_name": "edgeguard-dev-waf-blocked", "start": "a", "end": "b"},
    "offenders": [{"ip": "203.0.113.9", "sources": ["rate"], "requests": 40}],
    "rules_sampled": ["edgeguard-rate"],
    "below_threshold": 1,
    "min_requests": 20,
    "truncated": 0,
}
SETTINGS = OcsfSettings(
    FindingSettings(topic_arn="arn:aws:sns:us-east-1:123456789012:alerts", block=BlockSettings()),
    producers=("GuardDuty", "Acme"),
    min_severity_id=1,
)

# Values of every JSON type, including the ones that broke steps before: huge numbers,
# year-1 and year-9999 timestamps, booleans where numbers go, containers where text goes.
ODD = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e308, -1e308, 0, -1, True, False, None, "", "7", "x" * 300]),
    st.sampled_from(["0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999+0000", "not a time"]),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.builds(lambda: [{"x": 1}]),
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*prefix, index)
            yield from _paths(item, (*prefix, index))


PATHS = {name: list(_paths(event)) for name, event in SAMPLES.items()}


def _set(document: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        document = document[step]
    document[path[-1]] = value


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(st.sampled_from(sorted(SAMPLES)))
    event = copy.deepcopy(SAMPLES[name])
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = list(_paths(event))
        if not paths:
            break
        _set(event, draw(st.sampled_from(paths)), draw(ODD))
    return event


def _findings(event: dict[str, Any]) -> None:
    """The finding handlers' logic: extraction, decisions, alert, as the services run it."""
    extractions = []
    with contextlib.suppress(ValueError):  # documented refusal: not a GuardDuty event
        extractions.append(extract_guardduty(finding_from_event(event)))
    try:
        for finding in findings_from_custom_action(event):
            extractions.append(extract_asff(finding))
            finding_identifier(finding)
    except ValueError:
        pass
    try:
        for finding in findings_from_v2_event(event):
            if not ocsf_skip_reason(finding, SETTINGS):
                extractions.append(extract_ocsf(finding))
    except ValueError:
        pass
    outcomes = [
        block_finding(MemoryStore(), x, "guardduty", BlockSettings(), NOW) for x in extractions
    ]
    findings_alert(outcomes, "guardduty", "ban").to_dict()


def _respond(event: dict[str, Any]) -> None:
    try:
        tasks = plan(event).tasks
    except NotAFindingEvent:
        return
    for task in tasks:
        for outcome in (
            {"status": "restarted", "trails": [task.trail] if task.trail else [], "verified": True},
            {"status": "failed", "trails": [], "reason": "x", "verified": False},
        ):
            body = {**task.as_dict(), "outcome": outcome, "record": {"updated": False}}
            note_for(body)
            alert_for(body).to_dict()


def _alarm(event: dict[str, Any]) -> None:
    with contextlib.suppress(NotAnAlarmEvent):
        alarm_window(event, NOW).to_dict()


def test_samples_are_handled_as_they_are() -> None:
    for event in SAMPLES.values():
        _findings(event)
        _respond(event)
        _alarm(event)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_field_types_never_crash_the_handlers_logic(event: dict[str, Any]) -> None:
    _findings(event)
    _respond(event)
    _alarm(event)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(list(_paths(COLLECTED))), ODD), max_size=3))
def test_mutated_collect_output_never_crashes_the_record_step(changes) -> None:
    collected = copy.deepcopy(COLLECTED)
    for path, value in changes:
        try:
            _set(collected, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change replaced the container
    record_offenders(MemoryStore(), collected, AlarmSettings(), NOW)
    nothing_to_do(collected)

"""Starting, asking and stopping the background local cloud; running ``--local`` commands in it.

Exit codes follow the CLI's: 0 done, 1 operational failure (none running, did not start,
did not answer), 2 bad input.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from edgeguard_tools.localserver.control import ControlError, call
from edgeguard_tools.localserver.state import (
    State,
    log_path,
    process_alive,
    read_state,
    remove_state,
    state_path,
)

NOT_RUNNING = "no local cloud is running; start one with `edgeguard local up`"
START_TIMEOUT = 120.0  # seconds; a cold start takes ~5 s, a busy shared machine longer
STOP_TIMEOUT = 30.0
COMMAND_TIMEOUT = 900.0
STATUS_TIMEOUT = 30.0


def running() -> State | None:
    """The running local cloud's state; None when none runs (a stale file is removed).
    ``ValueError`` when the state file is unreadable."""
    path = state_path()
    state = read_state(path)
    if state is not None and not process_alive(state.pid):
        remove_state(path, state.pid)
        return None
    return state


def up(parameters: list[str], port: int) -> int:
    """Start the background process and wait until it answers; print where it is."""
    path = state_path()
    state = running()
    if state is not None:
        print(f"a local cloud is already running: {state.endpoint} (pid {state.pid})")
        return 0
    log = log_path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    command = [sys.executable, "-m", "edgeguard_tools.localserver.server", "--state", str(path)]
    command += ["--port", str(port), *(f"--param={pair}" for pair in parameters)]
    print(f"starting the local cloud (log: {log}) ...", file=sys.stderr)
    started = time.monotonic()
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "ab") as out:
        process = subprocess.Popen(  # noqa: S603 - our own module, this interpreter
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives the shell that started it; ^C there does not stop it
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    state = _wait_ready(path, process)
    if state is None:
        print(f"the local cloud did not start; its log ({log}) ends:", file=sys.stderr)
        print(_tail(log), file=sys.stderr)
        return 1
    print(
        f"local cloud running at {state.endpoint} (pid {state.pid}, "
        f"ready in {time.monotonic() - started:.1f} s)\n"
        "  try:     edgeguard block 198.51.100.7 --for 4h --reason test --local\n"
        f"  AWS CLI: aws --endpoint-url {state.endpoint} wafv2 list-ip-sets --scope CLOUDFRONT\n"
        "  stop:    edgeguard local down"
    )
    return 0


def _wait_ready(path: Path, process: subprocess.Popen[bytes]) -> State | None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return None
        try:
            state = read_state(path)
        except ValueError:
            state = None
        if state is not None and state.pid == process.pid:
            return state
        time.sleep(0.1)
    process.terminate()
    return None


def _tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError as error:
        return f"(cannot read it: {error})"


def status() -> int:
    """Print where the running cloud is, since when, and what its stack holds."""
    state = running()
    if state is None:
        print(NOT_RUNNING, file=sys.stderr)
        return 1
    try:
        answer = call(state.control, state.token, "/status", {}, STATUS_TIMEOUT)
    except ControlError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(render_status(answer))
    return 0


def render_status(answer: dict[str, Any]) -> str:
    """The status answer as a few lines for a terminal."""
    hours, rest = divmod(int(answer["uptime_seconds"]), 3600)
    resources = answer["resources"]
    lines = [
        f"endpoint:    {answer['endpoint']}   (aws --endpoint-url {answer['endpoint']} ...)",
        f"pid:         {answer['pid']}",
        f"up:          {hours}h{rest // 60:02d}m{rest % 60:02d}s (since {answer['started_at']})",
        f"resources:   {sum(resources.values())} created, {answer['not_emulated']} not emulated",
        *(f"  {count:4d}  {kind}" for kind, count in resources.items()),
        f"invocations: {answer['invocations']} ({answer['failed_deliveries']} failed deliveries)",
        f"telegram:    {answer['telegram_messages']} message(s) sent to the stand-in",
    ]
    if answer.get("parameters"):
        pairs = ", ".join(f"{k}={v}" for k, v in answer["parameters"].items())
        lines.insert(3, f"parameters:  {pairs}")
    return "\n".join(lines)


def down() -> int:
    """Stop the running cloud (its state goes with it); nothing to do when none runs."""
    state = running()
    if state is None:
        print("no local cloud is running; nothing to stop")
        return 0
    try:
        call(state.control, state.token, "/down", {}, STATUS_TIMEOUT)
    except ControlError as error:
        print(f"the control endpoint did not answer ({error}); sending SIGTERM", file=sys.stderr)
        os.kill(state.pid, signal.SIGTERM)
    if not _wait_gone(state.pid, STOP_TIMEOUT):
        print(f"pid {state.pid} did not stop in {STOP_TIMEOUT:.0f} s; killing it", file=sys.stderr)
        os.kill(state.pid, signal.SIGKILL)
        _wait_gone(state.pid, 5.0)
        remove_state(state_path(), state.pid)
    print(f"local cloud stopped (pid {state.pid}, endpoint {state.endpoint})")
    return 0


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process_alive(pid):
            return True
        with contextlib.suppress(ChildProcessError):  # our own child (tests): reap it
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.1)
    return not process_alive(pid)


def forward(argv: list[str]) -> int:
    """Run ``edgeguard ARGV`` (a ``--local`` command) in the running cloud's process;
    print what it printed, return its exit code."""
    try:
        state = running()
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if state is None:
        print(NOT_RUNNING, file=sys.stderr)
        return 1
    try:
        answer = call(
            state.control, state.token, "/run", {"argv": argv, "cwd": os.getcwd()}, COMMAND_TIMEOUT
        )
    except ControlError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    sys.stdout.write(answer.get("stdout", ""))
    sys.stderr.write(answer.get("stderr", ""))
    return int(answer.get("code", 1))

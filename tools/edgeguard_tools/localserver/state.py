"""The state file of a running local cloud: where it listens and how to reach its control.

``state_path()``: ``$EDGEGUARD_LOCAL_STATE``, else ``$XDG_RUNTIME_DIR/edgeguard/local.json``,
else ``~/.cache/edgeguard/local.json``. The file holds the control token, so it is written
mode 0600 in a directory of mode 0700; the background process's log sits beside it.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

STATE_ENV = "EDGEGUARD_LOCAL_STATE"


def state_path() -> Path:
    """Where ``edgeguard local up`` writes its state file."""
    override = os.environ.get(STATE_ENV)
    if override:
        return Path(override)
    runtime_dir = os.environ.get("XDG_RUNTIME_DIR")
    base = Path(runtime_dir) if runtime_dir and Path(runtime_dir).is_dir() else None
    return (base or Path.home() / ".cache") / "edgeguard" / "local.json"


def log_path(path: Path) -> Path:
    """The background process's log, beside its state file."""
    return path.with_suffix(".log")


@dataclass
class State:
    """A running local cloud: its process, the AWS endpoint (moto's HTTP server), the
    control endpoint and its bearer token, when it started (ISO 8601 UTC), its parameters."""

    pid: int
    endpoint: str
    control: str
    token: str
    started_at: str
    parameters: dict[str, str]


def write_state(path: Path, state: State) -> None:
    """Write atomically, readable by the owner only (the token grants control)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(asdict(state), out, indent=2)
    os.replace(partial, path)


def read_state(path: Path) -> State | None:
    """The state in ``path``; None when there is none. ``ValueError``: not a state file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not a local cloud state file: {error}") from None
    try:
        return State(**data)
    except TypeError as error:
        raise ValueError(f"{path} is not a local cloud state file: {error}") from None


def remove_state(path: Path, pid: int) -> None:
    """Remove the state file if it still describes process ``pid``."""
    try:
        current = read_state(path)
    except ValueError:
        return
    if current is not None and current.pid == pid:
        path.unlink(missing_ok=True)


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists (signal 0 probes without touching it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

"""The background process of ``edgeguard local up``.

``python -m edgeguard_tools.localserver.server --state PATH [--port N] [--param KEY=VALUE]``

One process holds the LocalCloud (moto in process, template.yaml's resources and wiring)
and serves it three ways:

- moto's own HTTP server on 127.0.0.1:PORT over the same moto backends, so the AWS CLI
  and any SDK (``--endpoint-url``) see the stack's tables, IP sets, topics and queues;
- the control endpoint (control): a ``--local`` command runs here, on the main thread,
  one at a time (a LocalCloud is not thread-safe; a function's environment is
  process-wide), exactly as it runs inside the demo's in-process cloud;
- between commands, every second: what came due on the clock fires (schedules,
  rotations, retries) and what writes made through the HTTP endpoint started (stream
  records, queued messages) is delivered (``LocalCloud.catch_up``).

It writes its state file when ready and removes it when it stops (SIGTERM, SIGINT or
``POST /down``). Functions' logs and failures go to its log, beside the state file.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import queue
import secrets
import signal
import sys
import threading
import traceback
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import ExitStack, chdir, redirect_stderr, redirect_stdout
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edgeguard_tools.localserver.control import ControlServer
from edgeguard_tools.localserver.relay import DeliveryRelay, Started
from edgeguard_tools.localserver.state import State, remove_state, write_state

POLL_SECONDS = 1.0


class Jobs:
    """Work for the main thread: the control endpoint's threads submit and wait."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[Callable[[], Any], Future[Any]]] = queue.Queue()
        self.stopping = threading.Event()

    def submit(self, work: Callable[[], Any]) -> Any:
        """Run ``work`` on the main thread; its result (or what it raised)."""
        future: Future[Any] = Future()
        self._queue.put((work, future))
        return future.result()

    def stop(self) -> None:
        """Stop the main loop now (it is woken, not left to its next poll)."""
        self.stopping.set()
        self._queue.put((lambda: None, Future()))

    def post(self, work: Callable[[], Any]) -> None:
        """Queue ``work`` for the main thread without waiting for it."""
        self._queue.put((work, Future()))

    def run_next(self, timeout: float) -> None:
        """Run the next piece of work, if one comes within ``timeout`` seconds."""
        try:
            work, future = self._queue.get(timeout=timeout)
        except queue.Empty:
            return
        try:
            future.set_result(work())
        except BaseException as error:
            future.set_exception(error)


def run_command(argv: list[str], cwd: str) -> dict[str, Any]:
    """Run ``edgeguard ARGV`` here (in the directory the caller was in); its exit code and
    what it printed. Only ``--local`` commands: this process has no business elsewhere."""
    from edgeguard_tools.cli import main  # noqa: PLC0415 - the CLI imports this package

    if "--local" not in argv:
        return {"code": 2, "stdout": "", "stderr": "only --local commands run here\n"}
    out, err = io.StringIO(), io.StringIO()
    with chdir(cwd), redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 2
            if not isinstance(exit_.code, int) and exit_.code is not None:
                print(exit_.code, file=sys.stderr)
        except Exception:
            traceback.print_exc()
            code = 1
    return {"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}


def status(cloud: Any, state: State) -> dict[str, Any]:
    """What ``edgeguard local status`` shows: where, since when, what the stack holds."""
    started = datetime.fromisoformat(state.started_at)
    created = Counter(
        resource["Type"]
        for logical_id, resource in cloud.template.resources().items()
        if logical_id in cloud.physical and cloud.physical[logical_id].created
    )
    return {
        "pid": state.pid,
        "endpoint": state.endpoint,
        "started_at": state.started_at,
        "uptime_seconds": int((datetime.now(UTC) - started).total_seconds()),
        "parameters": state.parameters,
        "resources": dict(sorted(created.items())),
        "not_emulated": len(cloud.skipped),
        "invocations": len(cloud.invocations),
        "failed_deliveries": len(cloud.failures),
        "telegram_messages": len(cloud.telegram_messages),
    }


def start_moto_server(port: int, started: Started) -> Any:
    """moto's HTTP server (its own WSGI app, as ``moto_server`` runs it) on 127.0.0.1,
    serving the backends this process's LocalCloud created its resources in; the calls
    that start deliveries are reported to ``started`` (relay)."""
    from moto.moto_server.werkzeug_app import (  # noqa: PLC0415 - needs moto[server]
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server  # noqa: PLC0415

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    app = DeliveryRelay(DomainDispatcherApplication(create_backend_app), started)
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def serve(state_path: Path, port: int, parameters: dict[str, str]) -> int:
    """Start the cloud and its endpoints, write the state file, serve until told to stop."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ[key] = "testing"  # moto answers every call: nothing signs for an account
    for key in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        os.environ.pop(key, None)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    from edgeguard_tools.local import hooks  # noqa: PLC0415 - moto only here
    from edgeguard_tools.local.cloud import LocalCloud  # noqa: PLC0415
    from edgeguard_tools.local.runtime import FUNCTION_STDOUT  # noqa: PLC0415

    FUNCTION_STDOUT.sink = sys.stderr  # functions' logs: this process's log file
    jobs = Jobs()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: jobs.stopping.set())  # no queue use in a handler
    from edgeguard_tools.invoke_prep import prepare_account  # noqa: PLC0415

    with ExitStack() as scope:
        prepare_account(parameters, scope)
        cloud = scope.enter_context(LocalCloud(parameters, quiet=True, raise_errors=False))

        def started(service: str, operation: str, params: Any, parsed: Any) -> None:
            jobs.post(lambda: hooks.started_elsewhere(service, operation, params, parsed))

        moto_server = start_moto_server(port, started)
        host, bound = moto_server.server_address[:2]
        state = State(
            pid=os.getpid(),
            endpoint=f"http://{host}:{bound}",
            control="",
            token=secrets.token_urlsafe(32),
            started_at=datetime.now(UTC).isoformat(timespec="seconds"),
            parameters=parameters,
        )

        def handle(path: str, body: dict[str, Any]) -> dict[str, Any]:
            if path == "/down":
                jobs.stop()
                return {"stopping": True, "pid": state.pid}
            if path == "/status":
                return dict(jobs.submit(lambda: status(cloud, state)))
            argv, cwd = list(body.get("argv") or []), str(body.get("cwd") or os.getcwd())
            return dict(jobs.submit(lambda: run_command(argv, cwd)))

        control = ControlServer(state.token, handle).start()
        try:
            state.control = control.base_url
            write_state(state_path, state)
            print(f"local cloud ready: {state.endpoint} (pid {state.pid})", flush=True)
            while not jobs.stopping.is_set():
                jobs.run_next(POLL_SECONDS)
                if jobs.stopping.is_set():
                    break
                try:
                    cloud.catch_up()
                except Exception:
                    traceback.print_exc()
        finally:
            remove_state(state_path, state.pid)
            control.stop()
            moto_server.shutdown()
    print("local cloud stopped", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="edgeguard-local-server")
    parser.add_argument("--state", required=True, type=Path)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    parameters = dict(pair.split("=", 1) for pair in args.param)
    return serve(args.state, args.port, parameters)


if __name__ == "__main__":
    exit_code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Everything is closed by now (servers, moto, the state file); the interpreter's own
    # teardown of moto's and polars' state would take seconds more.
    os._exit(exit_code)

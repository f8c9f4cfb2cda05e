"""Run dbflow as a user does: `inv db.*` / `dbflow db.*` in a throwaway project directory."""

from __future__ import annotations

import json
import os
import pty
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

from dbflow.testing.plugin import free_port, scratch_dir

REPO = Path(__file__).resolve().parents[1]
DBFLOW = str(Path(sys.executable).with_name("dbflow"))
INV = str(Path(sys.executable).with_name("inv"))


def run(
    cwd: Path,
    *command: str,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 180,
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` in ``cwd`` with no database URL inherited, stdin not a terminal."""
    clean_env = {
        key: value
        for key, value in os.environ.items()
        if not key.endswith("DATABASE_URL") and key not in ("CI", "DBFLOW_APPROVED_TARGET")
    }
    clean_env.update(env or {})
    return subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        env=clean_env,
        input=stdin if stdin is not None else "",
        timeout=timeout,
        check=False,
    )


def run_in_terminal(
    cwd: Path, *command: str, env: dict[str, str] | None = None, timeout: float = 300
) -> tuple[int, str]:
    """Run ``command`` with a terminal as its output, as a person at a terminal does; return
    the exit code and everything written to the terminal (control sequences included)."""
    controller, terminal = pty.openpty()
    clean_env = {
        key: value
        for key, value in os.environ.items()
        if not key.endswith("DATABASE_URL") and key not in ("CI", "DBFLOW_APPROVED_TARGET")
    }
    clean_env.update({"TERM": "xterm-256color", "COLUMNS": "200"}, **(env or {}))
    output = {"stdout": terminal, "stderr": terminal}
    process = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, env=clean_env, **output)
    os.close(terminal)
    chunks: list[bytes] = []
    while True:
        try:
            data = os.read(controller, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not data:
            break
        chunks.append(data)
    os.close(controller)
    return process.wait(timeout=timeout), b"".join(chunks).decode("utf-8", "replace")


def ctrl_c_reaches_it() -> None:
    """Popen's preexec_fn for a command a test interrupts: SIGINT as a terminal delivers it,
    whatever the test runner inherited (a job started in the background ignores SIGINT, and
    the commands it starts would too)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    output = result.stdout + result.stderr
    assert "Traceback (most recent call last)" not in output, output[-3000:]


@contextmanager
def project_dir(prefix: str = "dbflow-project-", *, app: bool = False) -> Iterator[Path]:
    """A project with its own engine port; ``app`` copies the example app's migrations and
    seeds. The engine it started is stopped and the folder removed at the end."""
    root = scratch_dir(prefix)
    (root / "pyproject.toml").write_text(f"[tool.dbflow]\nport = {free_port()}\n")
    (root / "tasks.py").write_text("from dbflow.tasks import ns  # noqa: F401\n")
    if app:
        shutil.copytree(REPO / "supabase", root / "supabase")
        shutil.copytree(REPO / "seeds", root / "seeds")
    try:
        yield root
    finally:
        run(root, DBFLOW, "db.stop")
        shutil.rmtree(root, ignore_errors=True)


def supabase_push(cli: Path, project: Path, url: str) -> subprocess.CompletedProcess[str]:
    """``supabase db push`` of ``project``'s supabase/migrations to the database at ``url``."""
    return subprocess.run(
        [str(cli), "db", "push", "--db-url", f"{url}?sslmode=disable", "--yes"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@contextmanager
def posted_json() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local HTTP server standing in for a webhook: its URL and what it received."""
    received: list[dict[str, Any]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook", received
    finally:
        server.shutdown()

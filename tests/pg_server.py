"""A throw-away PostgreSQL server for the test run: Debian's postgresql binaries, a cluster in a temp
folder, a free loopback port, stopped (and its folder removed) when the run ends.

`DASHBOARD_TEST_PG_URL=postgresql://user@host:port/db` uses an existing server instead (its role must be
allowed to CREATE DATABASE); nothing is started then.
"""
from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

MSG_NO_SERVER = (
    "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb). "
    "Run `bash scripts/install_postgres.sh` (scripts/test.sh does it) or set DASHBOARD_TEST_PG_URL."
)


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise RuntimeError(MSG_NO_SERVER)
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    """One PostgreSQL server for the run; hands out a fresh, empty database per test."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self._dir: Path | None = None
        self._pg_ctl: list[str] = []
        self.base_url = os.environ.get("DASHBOARD_TEST_PG_URL", "")
        if not self.base_url:
            self._start()

    def _start(self) -> None:
        bindir = _bin_dir()
        self._dir = Path(tempfile.mkdtemp(prefix="dashboard-pg-"))
        data = self._dir / "data"
        # PostgreSQL refuses to run as root: run it as the `postgres` account Debian's package creates
        run_as: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self._dir, user.pw_uid, user.pw_gid)
            run_as = ["runuser", "-u", "postgres", "--"]
        port = _free_port()
        subprocess.run(run_as + [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                                 "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
                       check=True, capture_output=True, timeout=120)
        opts = (f"-p {port} -k {self._dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._pg_ctl = run_as + [str(bindir / "pg_ctl"), "-D", str(data)]
        subprocess.run(self._pg_ctl + ["-o", opts, "-l", str(self._dir / "server.log"), "-w", "start"],
                       check=True, capture_output=True, timeout=120)
        self.base_url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def url_for(self, name: str) -> str:
        """The URL of database `name` on this server (same credentials as the base URL)."""
        return self.base_url.rsplit("/", 1)[0] + "/" + name

    def new_database(self) -> str:
        """Create an empty database and return its URL."""
        import psycopg

        name = f"t{os.getpid()}_{next(self._counter)}"
        with psycopg.connect(self.base_url, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}"')
            con.execute(f'CREATE DATABASE "{name}"')
        return self.url_for(name)

    def stop(self) -> None:
        """Stop the server this object started and remove its folder."""
        if self._dir is None:
            return
        subprocess.run(self._pg_ctl + ["-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self._dir, ignore_errors=True)
        self._dir = None

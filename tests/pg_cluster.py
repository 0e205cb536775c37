"""A throwaway PostgreSQL cluster for the tests (the ``postgres_server`` fixture).

``initdb`` into a temporary folder, ``pg_ctl start`` on a free loopback port
with its unix socket in that folder, one database per test made from a
migrated template, and ``pg_ctl stop`` plus removal of the folder at the end.
Binaries come from ``pg_config --bindir`` or ``/usr/lib/postgresql/*/bin``;
without them the tests fail (CI installs Debian's ``postgresql``). The benchmarks
start their server with the same class.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


class ClusterError(RuntimeError):
    """PostgreSQL is missing or would not start (the message says why)."""


#: The database every test database is copied from (its nbtrack schema made once).
TEMPLATE = "nbtrack_template"
_USER = "nbtrack"


def find_bindir() -> Path:
    """The folder holding ``initdb`` and ``pg_ctl``; fails the test run without one."""
    candidates = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if out.returncode == 0:
            candidates.append(Path(out.stdout.strip()))

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(p) for p in path.parent.name.split(".") if p.isdigit())

    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    raise ClusterError("PostgreSQL is not installed: no initdb in `pg_config --bindir` or "
                "/usr/lib/postgresql/*/bin (make test installs Debian's postgresql)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """One running PostgreSQL server in a temporary folder.

    Parameters
    ----------
    bindir : Path
        Where initdb and pg_ctl are.
    """

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="nbtrack-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        self._names = itertools.count()
        # the server refuses to run as root: run it as an ordinary user then
        self.os_user: str | None = None
        if os.geteuid() == 0:
            self.os_user = next(u for u in ("postgres", "nobody") if _has_user(u))
            entry = pwd.getpwnam(self.os_user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.bindir / args[0]), *args[1:]], capture_output=True,
                              text=True, user=self.os_user, cwd=self.root, timeout=120)

    def start(self) -> None:
        """initdb, then start the server on a free port (a few tries if one is taken)."""
        done = self._run("initdb", "-D", str(self.data), "-U", _USER, "-A", "trust",
                         "-E", "UTF8", "--locale=C", "--no-sync")
        if done.returncode != 0:
            raise ClusterError(f"initdb failed: {done.stderr[-2000:]}")
        for _ in range(3):
            self.port = _free_port()
            options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                       "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                       "-c max_connections=300 -c shared_buffers=64MB")
            done = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o",
                             options, "-w", "-t", "60", "start")
            if done.returncode == 0:
                return
        raise ClusterError(f"PostgreSQL did not start: {done.stderr[-1000:]} "
                    f"{self.log.read_text()[-2000:] if self.log.exists() else ''}")

    def uri(self, database: str) -> str:
        """The URI of one database of this server, over TCP on loopback."""
        return f"postgresql://{_USER}@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        """Run one statement in the ``postgres`` database (outside a transaction)."""
        import psycopg

        with psycopg.connect(self.uri("postgres"), autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def make_template(self) -> None:
        """Create the template database and its nbtrack schema."""
        from nbtrack.store import open_store

        self.admin(f"CREATE DATABASE {TEMPLATE}")
        open_store(self.uri(TEMPLATE)).close()

    def new_database(self, schema: bool = True) -> str:
        """A fresh database, with the nbtrack schema unless ``schema`` is false; its URI."""
        name = f"test_{next(self._names)}"
        self.admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE if schema else 'template0'}")
        return self.uri(name)

    def drop_database(self, uri: str) -> None:
        """Drop a database made by :meth:`new_database`, ending its connections."""
        self.admin(f"DROP DATABASE IF EXISTS {uri.rsplit('/', 1)[1]} WITH (FORCE)")

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True

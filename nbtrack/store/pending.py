"""Model files another process records for a run, even after the kernel that made it ended.

A kernel whose model writer is still starting hands it the models a cell fitted,
and the writer records them in the store itself once it can, whether or not the
kernel still runs then (see :mod:`nbtrack.model_writer`). Until it has, a marker
file in the store's folder
names the run and the writer's process; reads of the run's artifacts, in any
process, wait for the marker to go. A marker whose process is gone is removed by
the next reader: that model was lost, the run never is.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

__all__ = ["FOLDER", "HandOff", "mark", "clear", "wait", "pid_alive", "WAIT_SECONDS"]


class HandOff(Protocol):
    """A process that can finish an artifact after this one has exited."""

    @property
    def pid(self) -> int:
        """Its process id."""

    def take(self, record: dict[str, Any], lost: Callable[[], None]) -> bool:
        """True once it has taken the job over; ``record`` says where the artifact goes
        (store, run, name, metadata, marker). Should it turn out later that it cannot
        do the job after all, it calls ``lost`` (from any thread)."""

    def expedite(self) -> None:
        """Someone now waits for what it took over: it should not wait for anything.
        Returns once the job is surely taken over, or given back through ``lost``."""

#: the markers' folder inside the store's folder
FOLDER = "pending"
#: the longest a reader waits for one writer (it imports skops and writes one file)
WAIT_SECONDS = 60.0


def mark(store_folder: Path, run_id: str, pid: int) -> Path:
    """Say that process ``pid`` will record an artifact of ``run_id``."""
    folder = store_folder / FOLDER
    folder.mkdir(exist_ok=True)
    marker = folder / f"{run_id}.{pid}.{uuid.uuid4().hex[:8]}"
    marker.touch()
    return marker


def clear(marker: Path | str) -> None:
    """The artifact is recorded, or will never be."""
    try:
        os.unlink(marker)
    except FileNotFoundError:
        pass


def pid_alive(pid: int) -> bool:
    """True while process ``pid`` runs on this machine (a zombie, exited but not yet
    reaped, does not count)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if pid == os.getpid():
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().split(b") ", 1)[1][:1] not in (b"Z", b"X")
    except (OSError, IndexError):
        return True


def _markers(store_folder: Path, run_id: str | None) -> list[Path]:
    try:
        names = os.listdir(store_folder / FOLDER)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [store_folder / FOLDER / n for n in names
            if run_id is None or n.partition(".")[0] == run_id]


def wait(store_folder: Path, run_id: str | None = None,
         timeout: float = WAIT_SECONDS) -> None:
    """Return once no live process still records artifacts of ``run_id`` (default: any run)."""
    deadline = time.monotonic() + timeout
    while True:
        live = []
        for marker in _markers(store_folder, run_id):
            try:
                pid = int(marker.name.split(".")[1])
            except (IndexError, ValueError):
                continue
            if pid_alive(pid):
                live.append(marker)
            else:
                clear(marker)
        if not live or time.monotonic() > deadline:
            return
        time.sleep(0.02)

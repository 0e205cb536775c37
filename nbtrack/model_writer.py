"""A child process that writes models with skops for a notebook kernel.

Importing skops costs most of a second (it indexes every scikit-learn
estimator), and a notebook cell should not wait for it. So the extension starts
this child once the kernel has imported scikit-learn; the child imports skops
while the kernel waits between cells (it is paused while a cell runs, see
:meth:`ModelWriterProcess.pause`), and then turns pickled models into skops
files, checking each reads back. The kernel hands it a snapshot of each model a
cell fitted and records the file when it comes back (see
:mod:`nbtrack.store.deferred`). A kernel that exits before its child is ready
hands the snapshots over instead (:meth:`ModelWriterProcess.adopt`): the child
records them in the store after the kernel is gone, so a notebook run in batch
never waits at its end for skops to import.

The child only ever unpickles bytes its own parent kernel just pickled from a
live object over a private pipe, never a file; nothing it sends back is
unpickled by the kernel. Whatever the child cannot do (a class defined in the
notebook, which only the kernel's ``__main__`` has; a child that died) falls
back to skops in the kernel, so the result is the same either way.

Messages on the pipes are frames (:mod:`nbtrack.writer_frames`); the child's
side is :mod:`nbtrack.model_writer_child`.
"""

from __future__ import annotations

import os
import sys
import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .model_snapshot import Snapshot, take_snapshot
from .writer_frames import ModelWriterFailed, WriterResult, read_frame, write_frame

if TYPE_CHECKING:
    import subprocess

__all__ = ["ModelWriterProcess", "Snapshot", "ModelWriterFailed", "WriterResult",
           "start_model_writer", "model_writer", "pause_model_writer", "resume_model_writer"]

#: the longest a reader waits for a starting child to answer for the snapshots it holds
EXPEDITE_WAIT = 60.0


class _Adoption:
    """A snapshot handed to the child, its acknowledgement still to come.

    ``taken`` is set as soon as the frame is in the child's pipe; should the child end
    before reading it, ``taken`` is cleared again and ``lost`` is told.
    """

    def __init__(self, taken: threading.Event, lost: Callable[[], None]) -> None:
        self.taken, self.lost = taken, lost

    def answer(self, ok: bool) -> None:
        """The child read the frame (``ok``) or never will."""
        if not ok:
            self.taken.clear()
            try:
                self.lost()
            except Exception:  # noqa: S110 - on the reader thread, with nobody to tell
                pass


class ModelWriterProcess:
    """The kernel's handle on one model-writer child.

    Parameters
    ----------
    python : str
        The interpreter to start; the kernel's own by default, so the child sees
        the same packages.
    """

    def __init__(self, python: str | None = None) -> None:
        import subprocess

        self._lock = threading.Lock()
        self._ready: bool | None = None
        # pausing: asked for, possible yet (see _await_ready), done, no longer allowed
        self._state_lock = threading.Lock()
        self._pause_wanted = self._pausable = self._paused = self._never_pause = False
        # snapshots handed over (see adopt) whose acknowledgement is still to come
        self._adoptions: deque[_Adoption] = deque()
        self._adopted_any = False
        # its parent-death signal fires when the thread that started it ends
        self._from_main_thread = threading.current_thread() is threading.main_thread()
        self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
            # not run as __main__: that module is where notebook functions get stand-ins
            [python or sys.executable, "-c",
             "__import__('nbtrack.model_writer_child').model_writer_child.main()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            # the kernel forwards its own stderr into the notebook: keep the child's out
            stderr=subprocess.DEVNULL, cwd=os.getcwd(),
            # out of the kernel's process group: interrupting the kernel must not reach
            # it, and ipykernel's shutdown (which waits for its group's children) must
            # not wait for it; it ends when the kernel's end closes its pipe
            start_new_session=True,
            # unbuffered: a buffered reader's lock, held by the thread waiting for the
            # child, would hold up the interpreter's exit until the child answers
            bufsize=0)
        self._started = threading.Event()
        # the child says whether it could import skops; hear it off the caller's thread
        # so that asking whether it is ready never blocks
        threading.Thread(target=self._await_ready, name="nbtrack-model-writer",
                         daemon=True).start()

    def _await_ready(self) -> None:
        proc = self._proc
        try:
            assert proc is not None and proc.stdout is not None
            header = self._next_frame(proc)
            if header.get("started"):
                # only now is the child sure to end with the kernel, paused or not
                with self._state_lock:
                    self._pausable = True
                    if self._pause_wanted:
                        self._stop_or_continue(stop=True)
                header = self._next_frame(proc)
            with self._state_lock:
                self._ready = bool(header.get("ready"))
            while True:
                with self._state_lock:
                    if not self._adoptions:
                        break
                self._next_frame(proc)
        except Exception:
            self._ready = False
        finally:
            with self._state_lock:
                while self._adoptions:
                    self._adoptions.popleft().answer(False)
            self._started.set()
        if not self._ready:
            self.close()
        if self._proc is None and proc is not None and proc.stdout is not None:
            proc.stdout.close()

    def _next_frame(self, proc: subprocess.Popen[bytes]) -> dict[str, Any]:
        """The child's next frame other than an acknowledged adoption."""
        assert proc.stdout is not None
        while True:
            header, _ = read_frame(proc.stdout)
            if not header.get("adopted"):
                return header
            with self._state_lock:
                if self._adoptions:
                    self._adoptions.popleft().answer(True)

    def adopt(self, snapshot: Snapshot, record: dict[str, Any], taken: threading.Event,
              lost: Callable[[], None]) -> bool:
        """Hand a :meth:`snapshot` over for the child to record itself once it can,
        whether this process still runs then or not (``record`` says where: see
        :mod:`nbtrack.model_writer_child`).

        Only while the child is still starting: a ready child answers at once. True
        once the frame is in the child's pipe (``taken`` is set first, so a
        :meth:`convert` of the same snapshot gives it up). The child reads it whenever
        it runs next; the caller does not wait for that, since a starting child may be
        busy importing for a while before its reading thread gets a turn. Should it end
        before reading it, ``lost`` is called (on another thread) and ``taken`` cleared.
        """
        with self._state_lock:
            proc = self._proc
            if self._ready is not None or proc is None or proc.stdin is None:
                return False
            adoption = _Adoption(taken, lost)
            self._adoptions.append(adoption)
            # a large snapshot fills the pipe: the child must run to drain it
            if self._paused:
                self._stop_or_continue(stop=False)
            taken.set()
            self._adopted_any = True
        try:
            with self._lock:
                write_frame(proc.stdin, {"path": list(sys.path), "cwd": os.getcwd(),
                                         "functions": list(snapshot.functions),
                                         "adopt": record}, snapshot.body)
        except (OSError, ValueError):
            with self._state_lock:
                if adoption in self._adoptions:
                    self._adoptions.remove(adoption)
            taken.clear()
            return False
        finally:
            with self._state_lock:
                if self._pause_wanted and self._pausable and not self._paused and \
                        self._ready is None and not self._never_pause:
                    self._stop_or_continue(stop=True)
        return True

    def expedite(self) -> None:
        """Someone waits for a model the child took over: let it run from now on, and
        return once the child has read every snapshot handed to it or is gone (and those
        it never read have been given back through their ``lost``)."""
        with self._state_lock:
            self._never_pause = True
            self._pause_wanted = False
            if self._paused:
                self._stop_or_continue(stop=False)
        # set once the child is ready, every hand-off answered; the caller waits for the
        # child's files anyway, which come later still
        self._started.wait(EXPEDITE_WAIT)

    @property
    def pid(self) -> int:
        """The child's process id (0 once it is gone)."""
        proc = self._proc
        return proc.pid if proc is not None else 0

    @property
    def alive(self) -> bool:
        """True while the child runs and has not failed to start."""
        proc = self._proc
        return proc is not None and proc.poll() is None and self._ready is not False

    @property
    def ready(self) -> bool:
        """True once the child has imported skops and takes models without waiting."""
        return bool(self._ready) and self.alive

    def pause(self) -> None:
        """Stop the child while it is still starting, so that it leaves the cores alone.

        A kernel's numerical libraries run a thread per core; a second process busy on
        one of them while they work turns a 40 ms fit into most of a second on two
        cores. The extension pauses a starting child while a cell runs and lets it go
        on between cells; once ready it waits on its pipe and costs nothing.
        """
        with self._state_lock:
            if self._ready is not None or self._never_pause:
                return
            self._pause_wanted = True
            if self._pausable and not self._paused:
                self._stop_or_continue(stop=True)

    def resume(self) -> None:
        """Let a paused child go on (see :meth:`pause`)."""
        with self._state_lock:
            self._pause_wanted = False
            if self._paused:
                self._stop_or_continue(stop=False)

    def hurry(self) -> None:
        """Someone waits for what the child writes: don't make them wait for its start.

        A ready child goes on serving. One still starting is stopped: importing skops
        in the kernel is quicker than the rest of the child's start, and the snapshots
        waiting for it are written there instead (:meth:`convert` returns None).
        """
        if not self.ready:
            self.close()

    def _stop_or_continue(self, stop: bool) -> None:
        import signal

        proc = self._proc
        number = getattr(signal, "SIGSTOP" if stop else "SIGCONT", None)
        if proc is None or number is None:  # no job control (Windows): the child just runs
            return
        try:
            os.kill(proc.pid, number)
            self._paused = stop
        except OSError:
            pass

    def snapshot(self, model: Any) -> Snapshot | None:
        """The model as it is now, pickled for the child (see :func:`take_snapshot`)."""
        return take_snapshot(model)

    def dump(self, model: Any) -> WriterResult | None:
        """Write ``model`` with skops in the child.

        Returns
        -------
        tuple or None
            The file's bytes and the untrusted types it needs; ``None`` when the
            child cannot do it and the caller should use skops itself.

        Raises
        ------
        ModelWriterFailed
            When skops refused the model (the same would happen in the kernel).
        """
        snapshot = self.snapshot(model)
        if snapshot is None:
            return None
        # the caller waits for this child: it runs from now on
        self._never_pause = True
        self.resume()
        return self.convert(snapshot)

    def convert(self, snapshot: Snapshot, taken: threading.Event | None = None
                ) -> WriterResult | None:
        """Turn a :meth:`snapshot` into a skops file in the child (see :meth:`dump`).

        Waits for a starting child, which may be paused until the running cell ends.
        None also when the snapshot was handed over meanwhile (``taken`` is set).
        """
        while not self._started.wait(0.05):
            if self._proc is None:
                return None
        if taken is not None and taken.is_set():
            return None
        with self._lock:
            if not self.alive:
                return None
            proc = self._proc
            assert proc is not None and proc.stdin is not None and proc.stdout is not None
            try:
                write_frame(proc.stdin, {"path": list(sys.path), "cwd": os.getcwd(),
                                         "functions": list(snapshot.functions)}, snapshot.body)
                header, data = read_frame(proc.stdout)
            except (EOFError, OSError):
                self.close()
                return None
            except BaseException:
                # an interrupt mid-exchange leaves the pipe out of step: stop the child
                self.close()
                raise
        if header["status"] == "ok":
            return data, list(header["untrusted"])
        if header["status"] == "failed":
            raise ModelWriterFailed(header["message"])
        return None

    def leave(self) -> None:
        """This process exits: a child holding models it took over waits, paused, until
        the process is gone (its parent-death signal continues it, see
        :mod:`nbtrack.model_writer_child`), so that the two do not compete for the cores
        while the interpreter shuts down; any other child is stopped."""
        with self._state_lock:
            if self._adopted_any and self._pausable and self._from_main_thread and \
                    sys.platform.startswith("linux"):
                self._stop_or_continue(stop=True)
        self.close()

    def close(self) -> None:
        """Stop the child (it also stops by itself when the kernel exits)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if self._adopted_any:
            # it records what it took over, then ends on the closed pipe by itself
            try:
                if proc.stdin is not None:
                    proc.stdin.close()
            except OSError:
                pass
            return
        # the child keeps no state worth a graceful end, and may still be importing:
        # waiting for it would hold up the kernel's exit
        try:
            if proc.stdin is not None:
                proc.stdin.close()
        except OSError:
            pass
        proc.kill()
        proc.wait()
        if self._started.is_set() and proc.stdout is not None:
            # else the thread still reading it closes it (see _await_ready)
            proc.stdout.close()


_writer: ModelWriterProcess | None = None
_writer_lock = threading.Lock()


def start_model_writer() -> None:
    """Start this process's model writer unless it runs already or skops is loaded."""
    global _writer
    with _writer_lock:
        if _writer is not None or "skops.io" in sys.modules:
            return
        import atexit

        _writer = ModelWriterProcess()
        atexit.register(_writer.leave)


def pause_model_writer() -> None:
    """A cell starts: pause this process's model writer if it is still starting."""
    writer = _writer
    if writer is not None:
        writer.pause()


def resume_model_writer() -> None:
    """A cell ended: let this process's model writer go on starting."""
    writer = _writer
    if writer is not None:
        writer.resume()


def model_writer() -> ModelWriterProcess | None:
    """The running model writer, if this process started one."""
    writer = _writer
    return writer if writer is not None and writer.alive else None

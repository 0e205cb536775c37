"""A child process that writes models with skops for a notebook kernel.

Importing skops costs most of a second (it indexes every scikit-learn
estimator), and a notebook cell should not wait for it. So the extension starts
this child once the kernel has imported scikit-learn; the child imports skops
while the kernel waits between cells (it is paused while a cell runs, see
:meth:`ModelWriterProcess.pause`), and then turns pickled models into skops
files, checking each reads back. The kernel hands it a snapshot of each model a
cell fitted and records the file when it comes back (see
:mod:`nbtrack.store.deferred`).

The child only ever unpickles bytes its own parent kernel just pickled from a
live object over a private pipe, never a file; nothing it sends back is
unpickled by the kernel. Whatever the child cannot do (a class defined in the
notebook, which only the kernel's ``__main__`` has; a child that died) falls
back to skops in the kernel, so the result is the same either way.

Messages on the pipes are frames: an 8-byte big-endian length, then a JSON
header, a newline and the binary body.
"""

from __future__ import annotations

import json
import os
import struct
import sys
import threading
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import subprocess

__all__ = ["ModelWriterProcess", "ModelWriterFailed", "WriterResult", "start_model_writer",
           "model_writer", "pause_model_writer", "resume_model_writer"]

_LENGTH = struct.Struct("!Q")

#: ``(skops bytes, types the file needs that skops does not trust by default)``
WriterResult = tuple[bytes, list[str]]


class ModelWriterFailed(Exception):
    """skops itself could not save the model (the kernel would fail the same way)."""


def _write_frame(stream: IO[bytes], header: dict[str, Any], body: bytes = b"") -> None:
    head = json.dumps(header).encode("utf-8") + b"\n"
    stream.write(_LENGTH.pack(len(head) + len(body)))
    stream.write(head)
    stream.write(body)
    stream.flush()


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    chunks = []
    while size:
        chunk = stream.read(size)
        if not chunk:
            raise EOFError("the model writer closed its pipe")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _read_frame(stream: IO[bytes]) -> tuple[dict[str, Any], bytes]:
    (size,) = _LENGTH.unpack(_read_exactly(stream, _LENGTH.size))
    frame = _read_exactly(stream, size)
    head, _, body = frame.partition(b"\n")
    return json.loads(head), body


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
        self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
            [python or sys.executable, "-m", "nbtrack.model_writer"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            # the kernel forwards its own stderr into the notebook: keep the child's out
            stderr=subprocess.DEVNULL, cwd=os.getcwd(),
            # out of the kernel's process group: interrupting the kernel must not reach
            # it, and ipykernel's shutdown (which waits for its group's children) must
            # not wait for it; it ends when the kernel's end closes its pipe
            start_new_session=True)
        self._started = threading.Event()
        # the child says whether it could import skops; hear it off the caller's thread
        # so that asking whether it is ready never blocks
        threading.Thread(target=self._await_ready, name="nbtrack-model-writer",
                         daemon=True).start()

    def _await_ready(self) -> None:
        proc = self._proc
        try:
            assert proc is not None and proc.stdout is not None
            header, _ = _read_frame(proc.stdout)
            if header.get("started"):
                # only now is the child sure to end with the kernel, paused or not
                with self._state_lock:
                    self._pausable = True
                    if self._pause_wanted:
                        self._stop_or_continue(stop=True)
                header, _ = _read_frame(proc.stdout)
            self._ready = bool(header.get("ready"))
        except Exception:
            self._ready = False
        finally:
            self._started.set()
        if not self._ready:
            self.close()
        if self._proc is None and proc is not None and proc.stdout is not None:
            proc.stdout.close()

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

    def snapshot(self, model: Any) -> bytes | None:
        """The model as it is now, pickled for the child; None when the child cannot take it."""
        import pickle

        try:
            body = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:
            return None
        # notebook-defined code lives only in the kernel's __main__
        return None if b"__main__" in body else body

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
        body = self.snapshot(model)
        if body is None:
            return None
        # the caller waits for this child: it runs from now on
        self._never_pause = True
        self.resume()
        return self.convert(body)

    def convert(self, body: bytes) -> WriterResult | None:
        """Turn a :meth:`snapshot` into a skops file in the child (see :meth:`dump`).

        Waits for a starting child, which may be paused until the running cell ends.
        """
        while not self._started.wait(0.05):
            if self._proc is None:
                return None
        with self._lock:
            if not self.alive:
                return None
            proc = self._proc
            assert proc is not None and proc.stdin is not None and proc.stdout is not None
            try:
                _write_frame(proc.stdin, {"path": list(sys.path), "cwd": os.getcwd()}, body)
                header, data = _read_frame(proc.stdout)
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

    def close(self) -> None:
        """Stop the child (it also stops by itself when the kernel exits)."""
        proc, self._proc = self._proc, None
        if proc is None:
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
        atexit.register(_writer.close)


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


def _serve(requests: IO[bytes], replies: IO[bytes]) -> None:
    import pickle

    try:
        import skops.io as sio
    except Exception as exc:
        _write_frame(replies, {"ready": False, "message": f"{type(exc).__name__}: {exc}"})
        return
    _write_frame(replies, {"ready": True})
    while True:
        try:
            header, body = _read_frame(requests)
        except EOFError:
            return
        sys.path[:] = header["path"]
        try:
            os.chdir(header["cwd"])
            model = pickle.loads(body)
        except Exception as exc:
            _write_frame(replies, {"status": "cannot-load", "message": repr(exc)})
            continue
        try:
            data = sio.dumps(model)
            untrusted = sorted(sio.get_untrusted_types(data=data))
            # a file that cannot be read back is worse than an error now
            sio.loads(data, trusted=untrusted)
        except Exception as exc:
            _write_frame(replies, {"status": "failed",
                                   "message": f"{type(exc).__name__}: {exc}"})
            continue
        _write_frame(replies, {"status": "ok", "untrusted": untrusted}, data)


def _die_with_the_kernel() -> None:
    """End with the kernel even while paused (a stopped process never reads its EOF)."""
    parent = os.getppid()
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        pr_set_pdeathsig, sigkill = 1, 9
        libc.prctl(pr_set_pdeathsig, sigkill)
    except (OSError, AttributeError):  # not Linux: the closed pipe ends it instead
        return
    if os.getppid() != parent:
        os._exit(0)


def _yield_to_the_kernel() -> None:
    """Give way to the kernel when both want a core (the kernel also pauses a starting
    child while a cell runs); never an idle class, which a busy machine could starve."""
    if hasattr(os, "nice"):
        os.nice(10)


def main() -> None:
    """Serve the parent kernel on stdin/stdout until it closes the pipe."""
    _die_with_the_kernel()
    _yield_to_the_kernel()
    replies = os.fdopen(os.dup(1), "wb")
    # from here on the kernel may pause this process (see ModelWriterProcess.pause)
    _write_frame(replies, {"started": True})
    # anything a library prints must not corrupt the frames
    os.dup2(2, 1)
    _serve(sys.stdin.buffer, replies)


if __name__ == "__main__":
    main()

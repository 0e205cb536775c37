"""A child process that writes models with skops for a notebook kernel.

Importing skops costs most of a second (it indexes every scikit-learn
estimator), and in a notebook run from top to bottom there is no idle moment
to hide it in. So the extension starts this child as soon as a cell imports
scikit-learn: it imports skops on the other core while the notebook goes on,
and then turns pickled models into skops files, checking each reads back.

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
           "model_writer"]

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
        self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
            [python or sys.executable, "-m", "nbtrack.model_writer"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            # the kernel forwards its own stderr into the notebook: keep the child's out
            stderr=subprocess.DEVNULL, cwd=os.getcwd(),
            # out of the kernel's process group: interrupting the kernel must not reach
            # it, and ipykernel's shutdown (which waits for its group's children) must
            # not wait for it; it ends when the kernel's end closes its pipe
            start_new_session=True)

    @property
    def alive(self) -> bool:
        """True while the child runs and has not failed to start."""
        return self._proc is not None and self._proc.poll() is None and self._ready is not False

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
        import pickle

        try:
            body = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:
            return None
        if b"__main__" in body:
            # notebook-defined code lives only in the kernel's __main__
            return None
        with self._lock:
            if not self.alive:
                return None
            proc = self._proc
            assert proc is not None and proc.stdin is not None and proc.stdout is not None
            try:
                if self._ready is None:
                    header, _ = _read_frame(proc.stdout)
                    self._ready = bool(header.get("ready"))
                    if not self._ready:
                        self.close()
                        return None
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


def main() -> None:
    """Serve the parent kernel on stdin/stdout until it closes the pipe."""
    replies = os.fdopen(os.dup(1), "wb")
    # anything a library prints must not corrupt the frames
    os.dup2(2, 1)
    _serve(sys.stdin.buffer, replies)


if __name__ == "__main__":
    main()

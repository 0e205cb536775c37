"""The model-writer child (started by the kernel with ``main()`` of this module).

It imports skops, then turns the models its kernel pickled into skops files,
checking each reads back (see :mod:`nbtrack.model_writer` for the kernel's side).
Frames from the kernel are read on a thread of their own from the start, so the
kernel's writes never wait for skops to import. A frame marked ``adopt`` is a
model the kernel could not wait for because it is exiting: the child
acknowledges it at once, outlives the kernel, and records the file in the store
itself, then removes the run's pending marker (:mod:`nbtrack.store.pending`).
"""

from __future__ import annotations

import os
import queue
import sys
import threading
from typing import IO, Any

from .writer_frames import read_frame, write_frame

__all__ = ["main"]

Frame = tuple[dict[str, Any], bytes]


class _Replies:
    """Frames back to the kernel, from either thread; silent once the kernel is gone."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream, self._lock = stream, threading.Lock()

    def send(self, header: dict[str, Any], body: bytes = b"") -> None:
        with self._lock:
            try:
                write_frame(self._stream, header, body)
            except (BrokenPipeError, OSError, ValueError):
                pass


def _receive(requests: IO[bytes], inbox: queue.Queue[Frame | None], replies: _Replies) -> None:
    adopted = False
    while True:
        try:
            frame = read_frame(requests)
        except (EOFError, OSError, ValueError):
            if not adopted:
                # the kernel is gone and left nothing to finish: don't wait for skops
                os._exit(0)
            inbox.put(None)
            return
        if "adopt" in frame[0]:
            adopted = True
            replies.send({"adopted": True})
        inbox.put(frame)


def _convert(sio: Any, header: dict[str, Any], body: bytes) -> Frame:
    import pickle

    sys.path[:] = header["path"]
    try:
        os.chdir(header["cwd"])
        _stand_in_for(header.get("functions", ()))
        # bytes the parent kernel pickled from a live object moments ago, never a file
        model = pickle.loads(body)  # noqa: S301
    except Exception as exc:
        return {"status": "cannot-load", "message": repr(exc)}, b""
    try:
        data = sio.dumps(model)
        untrusted = sorted(sio.get_untrusted_types(data=data))
        # a file that cannot be read back is worse than an error now
        sio.loads(data, trusted=untrusted)
    except Exception as exc:
        return {"status": "failed", "message": f"{type(exc).__name__}: {exc}"}, b""
    return {"status": "ok", "untrusted": untrusted}, data


def _stand_in_for(functions: Any) -> None:
    """Functions defined in the kernel's notebook, by name only: skops records a function
    by its module and name, so a stand-in of that name pickles and saves the same."""
    main = sys.modules["__main__"]
    for name in functions:
        if not hasattr(main, name):
            def stand_in(*args: Any, **kwargs: Any) -> Any:
                raise RuntimeError("a function defined in the notebook, not here")

            stand_in.__name__ = stand_in.__qualname__ = name
            stand_in.__module__ = "__main__"
            setattr(main, name, stand_in)


def _record(adopted: dict[str, Any], reply: Frame) -> None:
    """Record an adopted model with its run; nobody is left to tell if that fails."""
    from .store import pending

    try:
        header, data = reply
        if header["status"] != "ok":
            return
        from .entities import Artifact
        from .model_files import model_meta
        from .store import open_store

        store = open_store(adopted["store"], create=False)
        try:
            store.backend.use_artifact_location(adopted.get("artifacts"))
            meta = {**adopted["meta"], **model_meta(adopted["summary"], header["untrusted"])}
            store.add_artifact(adopted["run_id"],
                               Artifact(adopted["name"], "", 0, "model", meta), data=data)
        finally:
            store.close()
    except Exception:  # noqa: S110 - the kernel that could be told has exited
        pass
    finally:
        pending.clear(adopted["marker"])


def _serve(inbox: queue.Queue[Frame | None], replies: _Replies) -> None:
    try:
        from .skops_import import import_skops

        sio = import_skops()
    except Exception as exc:
        replies.send({"ready": False, "message": f"{type(exc).__name__}: {exc}"})
        sio = None
    else:
        replies.send({"ready": True})
    while True:
        frame = inbox.get()
        if frame is None:
            return
        header, body = frame
        if sio is None:
            reply: Frame = ({"status": "cannot-load", "message": "skops is missing"}, b"")
        else:
            reply = _convert(sio, header, body)
        if "adopt" in header:
            _record(header["adopt"], reply)
        else:
            replies.send(*reply)


def _wake_when_the_kernel_ends() -> None:
    """Be continued when the kernel ends, even while it has this process paused (a
    stopped process never reads its EOF); the EOF then ends it, unless the kernel
    handed over models to record first."""
    import signal

    parent = os.getppid()
    try:
        import ctypes

        pr_set_pdeathsig = 1
        if ctypes.CDLL(None).prctl(pr_set_pdeathsig, int(signal.SIGCONT)) != 0:
            return
    except (OSError, AttributeError):  # not Linux: nobody pauses it
        return
    if os.getppid() != parent:
        os._exit(0)


def _yield_to_the_kernel() -> None:
    """Give way to the kernel when both want a core (the kernel also pauses a starting
    child while a cell runs); never an idle class, which a busy machine could starve."""
    if hasattr(os, "nice"):
        os.nice(10)


def main() -> None:
    """Serve the parent kernel on stdin/stdout until it closes the pipe, then finish
    whatever it handed over."""
    _wake_when_the_kernel_ends()
    _yield_to_the_kernel()
    replies = _Replies(os.fdopen(os.dup(1), "wb"))
    # from here on the kernel may pause this process (see ModelWriterProcess.pause)
    replies.send({"started": True})
    # anything a library prints must not corrupt the frames
    os.dup2(2, 1)
    inbox: queue.Queue[Frame | None] = queue.Queue()
    threading.Thread(target=_receive, args=(sys.stdin.buffer, inbox, replies),
                     daemon=True).start()
    _serve(inbox, replies)


if __name__ == "__main__":
    main()

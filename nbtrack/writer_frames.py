"""The messages a kernel and its model-writer child exchange on their pipes.

A frame is an 8-byte big-endian length, then a JSON header, a newline and the
binary body (a pickled model going to the child, skops bytes coming back).
"""

from __future__ import annotations

import json
import struct
from typing import IO, Any

__all__ = ["WriterResult", "ModelWriterFailed", "write_frame", "read_frame"]

_LENGTH = struct.Struct("!Q")

#: ``(skops bytes, types the file needs that skops does not trust by default)``
WriterResult = tuple[bytes, list[str]]


class ModelWriterFailed(Exception):
    """skops itself could not save the model (the kernel would fail the same way)."""


def write_frame(stream: IO[bytes], header: dict[str, Any], body: bytes = b"") -> None:
    """Send one frame and flush it (buffered or raw streams alike)."""
    head = json.dumps(header).encode("utf-8") + b"\n"
    for part in (_LENGTH.pack(len(head) + len(body)), head, body):
        view = memoryview(part)
        while view:
            # a raw stream may take part of it
            written = stream.write(view)
            view = view[written if written is not None else len(view):]
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


def read_frame(stream: IO[bytes]) -> tuple[dict[str, Any], bytes]:
    """The next frame's header and body; EOFError when the other side closed the pipe."""
    (size,) = _LENGTH.unpack(_read_exactly(stream, _LENGTH.size))
    frame = _read_exactly(stream, size)
    head, _, body = frame.partition(b"\n")
    return json.loads(head), body

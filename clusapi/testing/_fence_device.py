"""The host side of the lab's fence device: a Unix socket that ``fence_clusapi_lab`` talks to.

The agent (:mod:`clusapi.testing._fence_agent`) runs as root inside a node's namespaces and
cannot reach the other nodes' namespaces; :class:`FenceListener` runs in the lab's own
process, on the host side, and hands each request to the lab. Only root can use it: the socket
sits in a directory of mode 0700 owned by root, is itself 0600, and every peer's uid is checked
with ``SO_PEERCRED`` before its request is read. One request per connection, one JSON line each
way (``{"action", "node"}`` in, ``{"rc", "out"}`` out), served one at a time: a fencer's
requests are few, and the lab's node operations must not interleave.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import struct
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from . import _fence_agent
from ._fence_agent import ACTIONS, MAX_MESSAGE

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ("FenceListener", "install_agent")

#: How often the accept loop looks at its stop flag.
_TICK = 0.1
#: How long one client may take to send its request.
_CLIENT_TIMEOUT = 5.0
_UCRED = struct.Struct("3i")  # pid, uid, gid


def install_agent(directory: Path) -> Path:
    """Write ``fence_clusapi_lab`` into ``directory`` (0755, root's), refusing to overwrite.

    It runs as root from whatever directory the fencer is in, so it starts the system's
    ``python3`` (root-owned, like the ``fence-agents`` package's scripts; else this
    interpreter's real path, never a venv's) with ``-I``: no working directory, no
    ``PYTHON*`` variables, no user site on its ``sys.path``.
    """
    python = shutil.which("python3", path="/usr/bin:/bin") or os.path.realpath(sys.executable)
    path = directory / _fence_agent.AGENT
    source = Path(_fence_agent.__file__).read_text()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o755)
    with os.fdopen(fd, "w") as out:
        os.fchmod(fd, 0o755)  # whatever the umask
        out.write(f"#!{python} -I\n{source}")
    return path


class FenceListener:
    """Serve fence requests on ``path`` in a thread, calling ``handler(action, node)``.

    ``handler`` returns the agent's exit code and output (for ``status``: 0 on, 2 off); an
    exception in it becomes exit code 1 with its message. ``path``'s directory must exist,
    root-owned and 0700 (the lab makes it). :meth:`close` stops the thread and removes the
    socket; a request being served is finished first.
    """

    def __init__(self, path: Path, handler: Callable[[str, str], tuple[int, str]]) -> None:
        self.path = path
        self._handler = handler
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._sock.bind(str(path))
            os.chmod(path, 0o600)
            self._sock.listen(8)
            self._sock.settimeout(_TICK)
        except BaseException:
            self._sock.close()
            raise
        self._thread = threading.Thread(target=self._serve, name=f"fence {path}", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop serving (after the request in hand, if any) and remove the socket."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()
        self._sock.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed under us
            with conn, contextlib.suppress(OSError):
                self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        conn.settimeout(_CLIENT_TIMEOUT)
        raw = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size)
        _, uid, _ = _UCRED.unpack(raw)
        if uid != 0:  # the directory's mode already keeps others out; this is the lock's bolt
            conn.sendall(_reply(1, f"refused: peer uid {uid} is not root\n"))
            conn.shutdown(socket.SHUT_WR)
            # Unread bytes at close would reset the connection before the peer reads why:
            # swallow (a bounded amount of) what it sent, unparsed.
            with contextlib.suppress(OSError):
                _receive(conn)
            return
        data = _receive(conn)
        try:
            message = json.loads(data)
            action, node = message["action"], message["node"]
            if action not in ACTIONS or not isinstance(node, str):
                raise ValueError(f"bad request {message!r}")
        except (ValueError, KeyError, TypeError) as exc:
            conn.sendall(_reply(1, f"refused: {exc}\n"))
            return
        try:
            code, out = self._handler(action, node)
        except Exception as exc:
            code, out = 1, f"{action} {node} failed: {exc}\n"
        conn.sendall(_reply(code, out))


def _receive(conn: socket.socket) -> bytes:
    """What the peer sends until it shuts its side down, at most MAX_MESSAGE bytes and a bit."""
    data = b""
    while len(data) <= MAX_MESSAGE and (chunk := conn.recv(4096)):
        data += chunk
    return data


def _reply(code: int, out: str) -> bytes:
    return json.dumps({"rc": code, "out": out}).encode() + b"\n"

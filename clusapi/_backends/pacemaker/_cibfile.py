"""Changing a saved CIB file (``PacemakerBackend(cib_file=...)``) so that no failure leaves it
torn and no two writers lose each other's change.

Every change runs on a copy (:meth:`CibFile.changing`), under an exclusive ``flock`` of the
file's directory, that replaces the file atomically (``os.replace``) once it is checked and
synced; on any failure the original is untouched. The steps are in ``docs/pacemaker.md``
("Writes": "A saved CIB is never left torn").
"""

from __future__ import annotations

import bz2
import contextlib
import errno
import fcntl
import os
import stat
import tempfile
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Final

import anyio.to_thread

from clusapi._errors import ClusterError, make_error
from clusapi._win32 import Win32Error

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

__all__ = ("CibFile",)

#: Free space (bytes) below which a tool's failure to write the copy is put down to a full
#: disk: the copy has to grow, and Pacemaker's tools do not say why a write failed.
_SLACK: Final = 64 * 1024


def _os_error(path: str, action: str, exc: OSError) -> ClusterError:
    """A ClusterError for an OSError while changing ``path``, naming errno and its text."""
    code = errno.errorcode.get(exc.errno or 0, "?")
    why = f"{code}: {exc.strerror or exc}"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return _disk_full(path, why)
    winerror = (
        Win32Error.ERROR_ACCESS_DENIED
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
        else Win32Error.ERROR_CLUSTER_INVALID_REQUEST
    )
    return make_error(
        winerror,
        f"cannot {action} the CIB file {path!r} ({why}); the file was not changed",
        fix="check the file's directory: it must be writable by this user (a copy is written "
        "next to the file, then moved over it)",
    )


def _disk_full(path: str, why: str) -> ClusterError:
    return make_error(
        Win32Error.ERROR_DISK_FULL,
        f"cannot write the CIB file {path!r}: {why}; the file was not changed",
        fix=f"free space in {os.path.dirname(path) or '.'}, then try again",
    )


def _space_left(directory: str, target: str) -> int | None:
    """The bytes free in ``directory`` if that is too little to write ``target`` again."""
    try:
        found = os.statvfs(directory)
        needed = _SLACK + os.path.getsize(target)
    except OSError:
        return None
    # No inode left is as full as no block left.
    left = found.f_bavail * found.f_frsize if found.f_favail else 0
    return left if left < needed else None


def _copy(source: str, directory: str, name: str) -> str:
    """A copy of ``source`` in ``directory`` with its mode (and owner, if we may), synced."""
    info = os.stat(source)
    # Pacemaker's tools compress a file whose name ends in .bz2: so must the copy's.
    suffix = ".tmp.bz2" if name.endswith(".bz2") else ".tmp"
    fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=suffix)
    try:
        # The copy's mode is set on the open file, not from the umask: a CIB may hold
        # passwords (fence device parameters), and a mode wider than the original's would
        # leak them for as long as the copy exists.
        os.fchmod(fd, stat.S_IMODE(info.st_mode))
        if (info.st_uid, info.st_gid) != (os.geteuid(), os.getegid()):
            with contextlib.suppress(PermissionError):
                os.fchown(fd, info.st_uid, info.st_gid)
        with open(source, "rb") as original, os.fdopen(fd, "wb", closefd=False) as out:
            while chunk := original.read(1 << 16):
                out.write(chunk)
            out.flush()
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        os.unlink(temp)
        raise
    os.close(fd)
    return temp


def _commit(temp: str, target: str, directory_fd: int) -> None:
    """Check ``temp`` is a whole CIB, sync it, move it over ``target``, sync the directory."""
    try:
        with open(temp, "rb") as written:
            data = written.read()
        root = ET.fromstring(bz2.decompress(data) if temp.endswith(".bz2") else data)
    except (ET.ParseError, OSError, EOFError, ValueError) as exc:
        raise make_error(
            Win32Error.ERROR_INVALID_DATA,
            f"Pacemaker's tools left an invalid copy of the CIB file {target!r} ({exc}); the "
            "file was not changed",
        ) from None
    if root.tag != "cib":
        raise make_error(
            Win32Error.ERROR_INVALID_DATA,
            f"Pacemaker's tools left a copy of {target!r} whose root is <{root.tag}>; the file "
            "was not changed",
        )
    fd = os.open(temp, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, target)
    os.fsync(directory_fd)


class CibFile:
    """A saved CIB, and the ``flock`` of its directory that its writers share.

    A writing operation holds the lock from the snapshot it checks its rules on to its last
    write (:meth:`locked`), so clusapi processes on one file take turns rather than lose to
    each other; the version check of each patch still catches writers that do not lock (a
    user's own ``cibadmin``). The lock is re-entrant within the task that holds it.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._owner: int | None = None
        self._held: tuple[str, int] = ("", -1)

    @contextlib.asynccontextmanager
    async def locked(self) -> AsyncIterator[tuple[str, int]]:
        """Hold the directory's lock; yields the file's real path and the directory's fd."""
        task = anyio.get_current_task().id
        if self._owner == task:
            yield self._held
            return
        target = await anyio.to_thread.run_sync(os.path.realpath, self.path)  # symlink stays
        try:
            directory_fd = await anyio.to_thread.run_sync(
                os.open, os.path.dirname(target), os.O_RDONLY | os.O_DIRECTORY
            )
        except OSError as exc:
            raise _os_error(self.path, "open the directory of", exc) from None
        try:
            # Blocking flock in a worker thread, not abandoned on cancel: the lock is always
            # released here (closing the descriptor), never left to a stray thread.
            await anyio.to_thread.run_sync(fcntl.flock, directory_fd, fcntl.LOCK_EX)
            self._owner, self._held = task, (target, directory_fd)
            try:
                yield self._held
            finally:
                self._owner = None
        finally:
            os.close(directory_fd)

    @contextlib.asynccontextmanager
    async def changing(self) -> AsyncIterator[str]:
        """Change the file: yields the path of a copy for the tools to change, which replaces
        the file when the block ends without an error (module docstring).

        Raises:
            ClusterError: naming the cause (``ENOSPC``, ``EACCES``, an invalid result) if the
                file could not be changed; the file is then as it was.
        """
        async with self.locked() as (target, directory_fd):
            directory, name = os.path.split(target)
            try:
                temp: str | None = await anyio.to_thread.run_sync(_copy, target, directory, name)
            except OSError as exc:
                raise _os_error(self.path, "copy", exc) from None
            assert temp is not None
            try:
                try:
                    yield temp
                except ClusterError as exc:
                    # The tools do not say why a write failed ("exit code 1: no message"); a
                    # full disk is the usual reason: name it when there is next to no space.
                    left = _space_left(directory, target)
                    if left is not None:
                        raise _disk_full(
                            self.path,
                            f"ENOSPC: No space left on device ({left} bytes free; "
                            f"{exc.description})",
                        ) from exc
                    raise
                try:
                    await anyio.to_thread.run_sync(_commit, temp, target, directory_fd)
                except OSError as exc:
                    raise _os_error(self.path, "replace", exc) from None
                temp = None
            finally:
                if temp is not None:
                    with contextlib.suppress(OSError):
                        os.unlink(temp)

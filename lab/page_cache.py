"""A big output file's pages handed to the disk, and out of the page cache, as it grows.

Writing a file fills the page cache with new pages, and on some machines (virtual
machines whose memory the host hands out on first touch) a page the system has not used
lately can be slow to get: on the lab's 2-core VM, at times, a new 1.7 GB file took
8-19 s to write into the cache, its fsync 0.7 s, and the same bytes written through a
32 MB window of pages that are written back and dropped as the file grows, so the next
writes reuse them, 1.1 s with the fsync; when new pages are fast both take ~1.2 s
(``benchmarks/RESULTS_csvwall.md``).

:class:`PageRecycler` does that for one open file: after each write its owner calls
:meth:`PageRecycler.advance` with the file's length; every ``window`` bytes it starts
writing the new window to the disk, waits for the window before (written meanwhile)
and drops that one's pages from the cache.  The bytes written are unchanged; the
caller still fsyncs the file before it counts as written (:func:`lab.io.atomic_folder`
does), and an error of the disk (``EIO``, ``ENOSPC``) is raised as an ``OSError``
by :meth:`~PageRecycler.advance`, as the fsync would raise it.  Where the system has no
``sync_file_range`` (not Linux) it does nothing.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import sys

__all__ = ["WINDOW", "PageRecycler"]

#: bytes written back and dropped at a time (two windows are in the cache at most)
WINDOW = 32 * 2**20
_WAIT_BEFORE, _WRITE, _WAIT_AFTER = 1, 2, 4  # sync_file_range flags (linux/fs.h)
#: errors that say the file or its file system cannot do this: then nothing is done
_UNSUPPORTED = frozenset(
    getattr(errno, name)
    for name in ("EINVAL", "ESPIPE", "ENOSYS", "EOPNOTSUPP", "ENOTSUP")
    if hasattr(errno, name)
)


class PageRecycler:
    """Write back and drop an open file's pages a window at a time (see the module).

    Parameters
    ----------
    fd : int
        The file's descriptor, open for writing, written from offset 0 onwards.
    window : int, optional
        Bytes per window (default :data:`WINDOW`).
    """

    def __init__(self, fd: int, window: int | None = None) -> None:
        self.fd = int(fd)
        self.window = max(int(WINDOW if window is None else window), 1)
        self._started = 0  # bytes whose writing to the disk has been started
        self._dropped = 0  # bytes written back and dropped from the cache
        self._sync = _sync_file_range()

    def advance(self, length: int) -> None:
        """The file is now ``length`` bytes long: hand every full window to the disk."""
        if self._sync is None:
            return
        try:
            while length - self._started >= self.window:
                self._call(self._started, self.window, _WRITE)  # start this window
                self._started += self.window
                if self._started - self._dropped > self.window:  # the window before: done?
                    self._call(self._dropped, self.window, _WAIT_BEFORE | _WRITE | _WAIT_AFTER)
                    os.posix_fadvise(self.fd, self._dropped, self.window, os.POSIX_FADV_DONTNEED)
                    self._dropped += self.window
        except OSError as exc:
            # only the very first call may say "unsupported": once a window has been
            # started, any error is the disk's (a FUSE file system may report a failed
            # write as EINVAL), and a wait that reported it has marked it seen, so the
            # final fsync would not see it again: raise it here
            if exc.errno not in _UNSUPPORTED or self._started:
                raise  # the disk's error (EIO, ENOSPC): the write fails
            self._sync = None  # not a file this works on (a pipe, some file systems)

    def _call(self, offset: int, nbytes: int, flags: int) -> None:
        if self._sync(self.fd, offset, nbytes, flags) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))


@functools.cache
def _sync_file_range():
    """libc's ``sync_file_range`` (Linux), or None."""
    if not sys.platform.startswith("linux") or not hasattr(os, "posix_fadvise"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn

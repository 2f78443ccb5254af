"""A repository folder read in place, never following a link, with the standard library only.

The folder is the user's own, but what it holds may come from anywhere (an
unpacked download, a checkout with links into the rest of the disk). So:

* no symbolic link is followed, to a file or a folder, inside or out: each is
  counted as skipped (``link``); nothing outside the folder is ever read;
* every file and folder is opened relative to the folder above it with
  ``O_NOFOLLOW``, so a folder swapped for a link between the listing and the
  reading cannot lead outside either;
* pipes, sockets and devices are counted (``special``) and never opened;
  a file that cannot be opened counts as ``unreadable``;
* vendored trees (``node_modules``, ``.git``, ...) are not walked at all: a
  checkout's ``.git`` may hold more files than the limit, and none is indexed.
  Each such tree counts once as ``vendored``.

The same limits as an archive: the number of entries walked, each file's size
(decided before reading), and the bytes read in all. Paths are relative to the
folder itself; nothing is stripped.
"""
from __future__ import annotations

import os
import stat
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from ..errors import ArchiveError
from ..progress import Progress
from .archive import Member, ReadBudget, format_size, show

KIND = "folder"
_CHECK_EVERY = 256
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC  # a pipe never blocks the open


def _display(name: str) -> str:
    """A file name fit for the index: undecodable bytes read as cp1252 (Latin-1 for its gaps)."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        raw = os.fsencode(name)
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            return raw.decode("latin-1")


class FolderSource:
    """A folder as a source of members (see ``sources.Source``): walked on opening."""

    kind = KIND
    root_folder = None

    def __init__(self, path: Path, *, max_members: int, skip_dirs: frozenset[str], progress: Progress) -> None:
        self.path = Path(path)
        try:
            self._fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as exc:
            raise ArchiveError(f"The folder {self.path.name} cannot be read ({exc.strerror or exc}).") from exc
        self.skipped: Counter[str] = Counter()
        try:
            self.members = self._walk(max_members, skip_dirs, progress)
        except BaseException:
            os.close(self._fd)
            raise

    def _walk(self, max_members: int, skip_dirs: frozenset[str], progress: Progress) -> list[Member]:
        members: list[Member] = []
        todo: list[tuple[str, str]] = [("", "")]  # (os path, shown path) of folders still to list
        entries = 0
        progress.update("extract", "Listing the folder", 0, 0)
        while todo:
            os_dir, shown_dir = todo.pop()
            try:
                names = self._list(os_dir)
            except OSError:
                self.skipped["unreadable"] += 1
                continue
            for name, st in names:
                entries += 1
                if entries % _CHECK_EVERY == 0:
                    progress.check()
                    progress.update("extract", f"Listing the folder: {entries:,} entries", 0, 0)
                if entries > max_members:
                    raise ArchiveError(f"The {KIND} holds more than {max_members:,} files and folders, the limit.")
                os_path = f"{os_dir}/{name}" if os_dir else name
                shown = f"{shown_dir}/{_display(name)}" if shown_dir else _display(name)
                if st is None:
                    self.skipped["unreadable"] += 1
                elif stat.S_ISLNK(st.st_mode):
                    self.skipped["link"] += 1
                elif stat.S_ISDIR(st.st_mode):
                    if name in skip_dirs:
                        self.skipped["vendored"] += 1
                    else:
                        todo.append((os_path, shown))
                elif stat.S_ISREG(st.st_mode):
                    members.append(Member(os_path, shown, shown, st.st_size))
                else:
                    self.skipped["special"] += 1
        return members

    def _list(self, os_dir: str) -> list[tuple[str, os.stat_result | None]]:
        """The names in one folder with their own (never a link's target's) status, sorted."""
        fd = self._open(os_dir, _DIR_FLAGS) if os_dir else os.dup(self._fd)
        try:
            found = []
            for name in sorted(os.listdir(fd)):
                try:
                    found.append((name, os.stat(name, dir_fd=fd, follow_symlinks=False)))
                except OSError:
                    found.append((name, None))
            return found
        finally:
            os.close(fd)

    def _open(self, os_path: str, last_flags: int) -> int:
        """A descriptor of ``os_path`` under the folder, opened one part at a time, never through a link."""
        *dirs, last = os_path.split("/")
        fd = self._fd
        try:
            for part in dirs:
                child = os.open(part, _DIR_FLAGS, dir_fd=fd)
                if fd != self._fd:
                    os.close(fd)
                fd = child
            return os.open(last, last_flags, dir_fd=fd)
        finally:
            if fd != self._fd:
                os.close(fd)

    def read(self, members: list[Member], budget: ReadBudget) -> Iterator[tuple[Member, bytes | None]]:
        """The bytes of each member; None for a file that can no longer be opened."""
        for member in members:
            yield member, self._read_one(member, budget)

    def _read_one(self, member: Member, budget: ReadBudget) -> bytes | None:
        try:
            fd = self._open(member.info, _FILE_FLAGS)
        except OSError:
            return None
        with os.fdopen(fd, "rb") as fp:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise _changed(member)
            data = fp.read(member.size + 1)
        budget.add(len(data))
        if len(data) > member.size:
            raise _changed(member)
        return data

    def budget(self, max_total: int) -> ReadBudget:
        return ReadBudget(max_total, message=f"The {KIND} holds more than {format_size(max_total)} of files "
                                             "to index, the limit.")

    def digest(self, progress: Progress) -> str | None:
        return None  # a folder has no one file to hash: the caller hashes what was read

    def close(self) -> None:
        os.close(self._fd)


def _changed(member: Member) -> ArchiveError:
    return ArchiveError(f"The file {show(member.path)} changed while the {KIND} was being read; index it again.")

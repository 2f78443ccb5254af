"""The data dir's atomic write and lock."""
from __future__ import annotations

import fcntl

import pytest

from repowiki_gui.core.fsutil import atomic_write_text, file_lock


def test_an_atomic_write_replaces_whole_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "deep" / "wiki.json"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two ✓")
    assert target.read_text(encoding="utf-8") == "two ✓"
    assert sorted(p.name for p in target.parent.iterdir()) == ["wiki.json"]


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "settings.json"
    atomic_write_text(target, "old")

    def broken(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("repowiki_gui.core.fsutil.os.replace", broken)
    with pytest.raises(OSError):
        atomic_write_text(target, "new")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["settings.json"]


def test_the_lock_is_exclusive_while_held_and_free_after(tmp_path):
    path = tmp_path / "index-shop.lock"
    with file_lock(path):
        with open(path) as other, pytest.raises(BlockingIOError):
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    with open(path) as other:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again

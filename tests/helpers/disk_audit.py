"""An audit hook that records every attempt to write to disk while armed (for 'ingest writes nothing')."""
import os
import sys
from contextlib import contextmanager

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_WRITE_EVENTS = {"os.mkdir", "os.rename", "os.remove", "os.rmdir", "os.symlink", "os.link",
                 "os.truncate", "os.chmod", "os.utime", "shutil.copyfile", "shutil.move",
                 "shutil.rmtree", "tempfile.mkstemp", "tempfile.mkdtemp"}
_armed: list[list] = []


def _audit(event, args):
    if not _armed:
        return
    if event == "open":
        _path, mode, flags = args
        if (isinstance(flags, int) and flags & _WRITE_FLAGS) or (isinstance(mode, str) and set(mode) & set("wax+")):
            _armed[-1].append((event, args))
    elif event in _WRITE_EVENTS:
        _armed[-1].append((event, args))


sys.addaudithook(_audit)  # hooks cannot be removed; this one is inert unless armed


@contextmanager
def no_disk_writes():
    """Record every attempt to write to disk made inside the block."""
    writes: list = []
    _armed.append(writes)
    try:
        yield writes
    finally:
        _armed.pop()

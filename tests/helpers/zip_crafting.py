"""Crafting ZIPs, hostile ones included: where zipfile will not write the thing, patch the header bytes.

Used by tests/core/ingest/test_archive.py and the hostile corpus (``helpers.hostile_zips``).
"""
from __future__ import annotations

import struct
import zipfile
from pathlib import Path


def make_zip(path: Path, entries, compression=zipfile.ZIP_DEFLATED) -> Path:
    """entries: (name or ZipInfo, data) pairs, written in order."""
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in entries:
            if isinstance(name, zipfile.ZipInfo) and name.compress_type is None:
                name.compress_type = compression
            zf.writestr(name, data)
    return path


def headers(data: bytes):
    """(central header offset, local header offset, name) of each member, by walking the directory."""
    end = data.rfind(b"PK\x05\x06")
    count, _cd_size, cd_offset = struct.unpack_from("<HII", data, end + 10)
    pos = cd_offset
    for _ in range(count):
        assert data[pos:pos + 4] == b"PK\x01\x02"
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, pos + 28)
        (local,) = struct.unpack_from("<I", data, pos + 42)
        yield pos, local, bytes(data[pos + 46:pos + 46 + name_len])
        pos += 46 + name_len + extra_len + comment_len


def patch(path: Path, name: bytes, *, central: dict[int, tuple[str, int]] = {},
          local: dict[int, tuple[str, int]] = {}, new_name: bytes | None = None) -> None:
    """Overwrite header fields (offset -> (struct format, value)) of member ``name``."""
    data = bytearray(path.read_bytes())
    for cd, lh, member in list(headers(data)):
        if member != name:
            continue
        for offset, (fmt, value) in central.items():
            struct.pack_into(fmt, data, cd + offset, value)
        for offset, (fmt, value) in local.items():
            struct.pack_into(fmt, data, lh + offset, value)
        if new_name is not None:
            assert len(new_name) == len(name)
            data[cd + 46:cd + 46 + len(name)] = new_name
            data[lh + 30:lh + 30 + len(name)] = new_name
    path.write_bytes(bytes(data))


def info(name: str, mode: int) -> zipfile.ZipInfo:
    zi = zipfile.ZipInfo(name)
    zi.create_system = 3  # Unix, so the mode in external_attr means what it says
    zi.external_attr = mode << 16
    return zi


GOOD = [("repo/src/app.py", b"print('hello')\n"), ("repo/README.md", b"# Hello\n")]

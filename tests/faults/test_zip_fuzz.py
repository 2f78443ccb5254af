"""Issue 7, point 2: a fuzz of the ZIP reader. Whatever the bytes, ``ingest_zip`` ends in a
result whose paths are safe, or in an ``ArchiveError``; any other exception is a crash.

Examples stay modest (``REPOWIKI_FUZZ_EXAMPLES``, 200 by default) so the suite stays
fast; with ``CI`` set the search is derandomized, so a CI failure reproduces.
"""
from __future__ import annotations

import io
import os
import re
import warnings
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repowiki_gui.core.errors import ArchiveError
from repowiki_gui.core.ingest.files import IngestLimits, ingest_zip

FUZZ = settings(max_examples=int(os.environ.get("REPOWIKI_FUZZ_EXAMPLES", "200")), deadline=None,
                derandomize=bool(os.environ.get("CI")), database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# Small limits, so the fuzz reaches the limit checks as well as the happy path.
LIMITS = IngestLimits(max_zip_members=50, max_uncompressed_bytes=256 * 1024, max_compression_ratio=100,
                      max_file_bytes=64 * 1024)
METHODS = [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]

names = st.lists(st.sampled_from(["repo", "src", "..", ".", "", "a.py", "b.js", "C:", "\\\\srv", "é",
                                  "x\x00y", "node_modules", ".gitignore", "__MACOSX"]),
                 min_size=1, max_size=4).map("/".join)
contents = st.one_of(st.binary(max_size=2048),
                     st.text(max_size=2048).map(lambda t: t.encode("utf-8", "surrogatepass")),
                     st.integers(0, 200_000).map(bytes),  # zeros: ratio checks
                     st.just(b"*.py\n!keep.py\n[z-a]\n"))
entries = st.lists(st.tuples(names, contents, st.sampled_from(METHODS), st.integers(0, 0xFFFF)),
                   min_size=0, max_size=8)


def zip_bytes(members) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # duplicate names are part of the fuzz
        with zipfile.ZipFile(buffer, "w") as zf:
            for name, data, method, mode in members:
                zi = zipfile.ZipInfo(name or "x")
                zi.compress_type = method
                zi.create_system = 3
                zi.external_attr = mode << 16  # any file type: links, pipes, nonsense
                zf.writestr(zi, data)
    return buffer.getvalue()


SEEDS = [zip_bytes([("repo/src/app.py", b"def main():\n    return 1\n" * 20, method, 0o100644),
                    ("repo/README.md", b"# Title\n\ntext\n", zipfile.ZIP_DEFLATED, 0o100644),
                    ("repo/.gitignore", b"*.log\n", zipfile.ZIP_STORED, 0o100644)])
         for method in METHODS]


@st.composite
def mutated(draw) -> bytes:
    """A valid ZIP with bytes flipped, cut, spliced or overwritten."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "truncate", "splice", "overwrite", "insert"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "truncate":
            del data[at:]
        elif kind == "splice":
            other = draw(st.sampled_from(SEEDS))
            start = draw(st.integers(0, len(other) - 1))
            data[at:at] = other[start:start + draw(st.integers(1, 200))]
        elif kind == "overwrite":
            chunk = draw(st.sampled_from([b"\xff\xff\xff\xff", b"\x00\x00\x00\x00", b"PK\x01\x02",
                                          b"PK\x03\x04", b"PK\x05\x06", b"PK\x06\x06", b"\xff\xff"]))
            data[at:at + len(chunk)] = chunk
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
    return bytes(data)


@pytest.fixture(scope="module")
def zip_path(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "fuzz.zip"


def ingest_or_user_error(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        result = ingest_zip(path, LIMITS)
    except ArchiveError as exc:
        message = str(exc)
        assert message.endswith(".") and "\n" not in message, message
        return
    for f in result.files:  # an accepted ZIP gives only safe, normalised, relative paths
        parts = f.path.split("/")
        assert f.path and ".." not in parts and "" not in parts and "\\" not in f.path, f.path
        assert not re.match(r"[A-Za-z]:", f.path) and "\x00" not in f.path, f.path


@FUZZ
@given(data=mutated())
def test_mutated_zips_never_crash(zip_path, data):
    ingest_or_user_error(zip_path, data)


@FUZZ
@given(members=entries)
def test_generated_members_never_crash(zip_path, members):
    ingest_or_user_error(zip_path, zip_bytes(members))


@FUZZ
@given(data=st.binary(max_size=4096))
def test_random_bytes_never_crash(zip_path, data):
    ingest_or_user_error(zip_path, data)

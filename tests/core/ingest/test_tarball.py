"""A .tar.gz read safely (core/ingest/tarball.py): bombs stopped while streaming, nothing unpacked or written.

Each hostile case of ``helpers.hostile_tarballs`` goes through the indexer in
tests/faults/test_hostile_zips.py; these are the properties a case cannot show.
"""
from __future__ import annotations

import gzip
import random
import tarfile

import pytest

from repowiki_gui.core.errors import ArchiveError
from repowiki_gui.core.ingest import tarball
from repowiki_gui.core.ingest.files import IngestLimits, ingest_source
from repowiki_gui.core.ingest.sources import open_source

from helpers.disk_audit import no_disk_writes
from helpers.hostile_tarballs import BOMB_BYTES, BY_NAME, GOOD, build, entry, make_tgz


@pytest.fixture
def inflated_bytes(monkeypatch) -> list[int]:
    """Every byte gzip hands out while armed, counted."""
    counted = [0]
    real = gzip.GzipFile.read

    def read(self, *args):
        data = real(self, *args)
        counted[0] += len(data)
        return data

    monkeypatch.setattr(gzip.GzipFile, "read", read)
    return counted


def test_a_gzip_bomb_is_stopped_by_the_ratio_long_before_its_end(tmp_path, inflated_bytes):
    bomb = build(BY_NAME["tar_gzip_bomb"], tmp_path)
    with pytest.raises(ArchiveError, match="expands more than 200-fold"):
        ingest_source(bomb, IngestLimits(max_uncompressed_bytes=10 * 1024**3))
    assert inflated_bytes[0] <= 200 * bomb.stat().st_size + (1 << 20) < BOMB_BYTES / 4


def test_a_gzip_bomb_is_stopped_by_the_total_when_the_ratio_allows_it(tmp_path, inflated_bytes):
    bomb = build(BY_NAME["tar_gzip_bomb"], tmp_path)
    limit = 20 * 1024**2
    with pytest.raises(ArchiveError, match=r"^The tar archive expands to more than 20.0 MiB; it looks like a "
                                           r"compression bomb\.$"):
        ingest_source(bomb, IngestLimits(max_uncompressed_bytes=limit, max_compression_ratio=1e9))
    assert inflated_bytes[0] <= limit + (1 << 20)


def test_a_good_tarball_is_read_in_memory_without_writing_anything(tmp_path):
    path = make_tgz(tmp_path / "pkg-1.0.tar.gz", [*GOOD, ("pkg-1.0/.gitignore", b"*.log\n"),
                                                   ("pkg-1.0/run.log", b"x\n")])
    before = sorted(tmp_path.rglob("*"))
    with no_disk_writes() as writes:
        result = ingest_source(path, IngestLimits())
    assert writes == [] and sorted(tmp_path.rglob("*")) == before
    assert [f.path for f in result.files] == [".gitignore", "README.md", "src/app.py"]
    assert result.root_folder == "pkg-1.0" and result.skipped == {"gitignored": 1}
    assert len(result.zip_sha256) == 64


def test_the_reading_pass_stops_after_the_last_member_it_needs(tmp_path, inflated_bytes):
    tail = random.Random(15).randbytes(4_000_000)  # binary after the source: never needed, never inflated twice
    path = make_tgz(tmp_path / "pkg.tar.gz", [*GOOD, entry("pkg-1.0/zz.bin", tail)])
    with open_source(path, IngestLimits()) as source:
        listed = inflated_bytes[0]
        wanted = [m for m in source.members if m.path.endswith(".py")]
        assert [(m.path, data) for m, data in source.read(wanted, source.budget(10**9))] == [
            ("src/app.py", b"print('hello')\n")]
    assert listed > len(tail) and inflated_bytes[0] - listed < len(tail) / 4


def test_a_tarball_that_changes_between_its_two_passes_is_refused(tmp_path):
    path = make_tgz(tmp_path / "pkg.tar.gz", GOOD)
    with open_source(path, IngestLimits()) as source:
        make_tgz(path, [("pkg-1.0/src/app.py", b"print('other, longer')\n"), GOOD[1]])
        with pytest.raises(ArchiveError, match=r"^The tar archive changed while it was being read; index it again\.$"):
            list(source.read(source.members, source.budget(10**9)))


def test_names_that_are_not_utf8_read_as_cp1252(tmp_path):
    info = tarfile.TarInfo("pkg-1.0/caf\udce9.py")  # the byte 0xe9, as tarfile keeps an undecodable one
    info.size = 6
    path = make_tgz(tmp_path / "pkg.tar.gz", [*GOOD, (info, b"x = 1\n")])
    result = ingest_source(path, IngestLimits())
    assert [f.path for f in result.files] == ["README.md", "caf\u00e9.py", "src/app.py"]


def test_the_header_cap_is_far_above_honest_long_names(tmp_path):
    deep = "pkg-1.0/" + "/".join(["a_long_folder_name"] * 200) + "/mod.py"  # a 3.8 KB name: a GNU long-name header
    result = ingest_source(make_tgz(tmp_path / "pkg.tar.gz", [*GOOD, (deep, b"x = 1\n")]), IngestLimits())
    assert deep.removeprefix("pkg-1.0/") in [f.path for f in result.files]
    assert tarball.HEADER_CAP_BYTES >= 256 * len(deep)

"""Hostile and broken ZIPs: each refused whole, with one sentence, and nothing written.

Every archive here is crafted in tmp_path with zipfile, and where zipfile will
not write the hostile thing itself, by patching the header bytes afterwards.
"""
from __future__ import annotations

import re
import stat
import struct
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from repowiki_gui.core.errors import ArchiveError, UserError
from repowiki_gui.core.ingest.archive import ReadBudget, normalise_name, open_zip, read_member, validate
from repowiki_gui.core.ingest.files import IngestLimits, ingest_zip

from helpers.disk_audit import no_disk_writes  # nothing may be written: an audit hook sees it
from helpers.zip_crafting import GOOD, headers, info, make_zip, patch


def tree(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_size for p in root.rglob("*")}


def refused(zip_path: Path, limits: IngestLimits = IngestLimits()) -> str:
    """Ingest a ZIP that must fail; check nothing was written; return the message."""
    before = tree(zip_path.parent)
    with no_disk_writes() as writes, pytest.raises(ArchiveError) as caught:
        ingest_zip(zip_path, limits)
    assert writes == []
    assert tree(zip_path.parent) == before
    message = str(caught.value)
    assert "\n" not in message and message.endswith(".")
    assert isinstance(caught.value, UserError)  # never retried by the job system
    return message


# --- not a ZIP, empty, corrupt --------------------------------------------------------

@pytest.mark.parametrize("content", [b"just some text, renamed\n", b"\x89PNG\r\n\x1a\n" + bytes(200)])
def test_a_file_that_is_not_a_zip(tmp_path, content):
    path = tmp_path / "repo.zip"
    path.write_bytes(content)
    assert refused(path) == "This file is not a ZIP archive."


def test_a_zero_byte_file(tmp_path):
    path = tmp_path / "repo.zip"
    path.write_bytes(b"")
    assert refused(path) == "The file is empty (0 bytes), not a ZIP archive."


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ArchiveError, match=r"^The file nowhere\.zip does not exist\.$"):
        ingest_zip(tmp_path / "nowhere.zip", IngestLimits())


def test_a_truncated_zip(tmp_path):
    path = make_zip(tmp_path / "repo.zip", GOOD)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert refused(path) == "The ZIP archive is corrupt or truncated."


def test_a_damaged_central_directory(tmp_path):
    path = make_zip(tmp_path / "repo.zip", GOOD)
    data = bytearray(path.read_bytes())
    first_cd = next(headers(data))[0]
    data[first_cd:first_cd + 4] = b"XXXX"
    path.write_bytes(bytes(data))
    assert refused(path) == "The ZIP archive is corrupt or truncated."


def test_a_crc_error_while_reading_is_corrupt(tmp_path):
    path = make_zip(tmp_path / "repo.zip", GOOD, compression=zipfile.ZIP_STORED)
    data = path.read_bytes()
    at = data.index(b"print('hello')")
    path.write_bytes(data[:at] + b"P" + data[at + 1:])
    assert refused(path) == "The ZIP archive is corrupt: repo/src/app.py fails its checksum."


def test_damaged_deflate_data_is_corrupt(tmp_path):
    path = make_zip(tmp_path / "repo.zip", [("repo/a.py", b"x = 1\n" * 500), *GOOD])
    data = bytearray(path.read_bytes())
    _, local, name = next(headers(data))
    start = local + 30 + len(name)
    data[start:start + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))
    message = refused(path)
    assert message in ("The ZIP archive is corrupt or truncated: repo/a.py cannot be read.",
                       "The ZIP archive is corrupt: repo/a.py fails its checksum.")


# --- members that are not plain files under the root ---------------------------------------

def test_an_encrypted_member(tmp_path):
    path = make_zip(tmp_path / "repo.zip", [*GOOD, ("repo/secret/key.txt", b"hunter2\n")])
    patch(path, b"repo/secret/key.txt", central={8: ("<H", 0x1)}, local={6: ("<H", 0x1)})
    assert refused(path) == ("The ZIP holds an encrypted member (repo/secret/key.txt); "
                             "encrypted archives are not supported.")


@pytest.mark.parametrize("name", ["../evil.py", "a/../../evil.py", "..\\evil.py",
                                  "src/./../../etc/passwd", "a\\..\\..\\evil.py"])
def test_a_path_that_escapes(tmp_path, name):
    path = make_zip(tmp_path / "repo.zip", [*GOOD, (name, b"x = 1\n")])
    assert refused(path) == f"The ZIP holds a path that escapes its folder ({name})."


def test_a_path_with_dotdot_that_stays_inside_is_still_refused(tmp_path):
    path = make_zip(tmp_path / "repo.zip", [*GOOD, ("repo/a/../src/app.py", b"x = 1\n")])
    assert refused(path) == ("The ZIP holds a path with '..' in it (repo/a/../src/app.py); "
                             "such paths are not accepted.")


@pytest.mark.parametrize("name", ["/etc/passwd", "C:\\x.py", "C:/x.py", "c:x.py",
                                  "\\\\server\\share\\x.py", "//server/share/x.py"])
def test_an_absolute_path(tmp_path, name):
    path = make_zip(tmp_path / "repo.zip", [*GOOD, (name, b"x = 1\n")])
    assert refused(path) == f"The ZIP holds an absolute path ({name})."


def test_a_symbolic_link(tmp_path):
    link = info("repo/src/link", stat.S_IFLNK | 0o777)
    path = make_zip(tmp_path / "repo.zip", [*GOOD, (link, b"/etc/passwd")])
    assert refused(path) == "The ZIP holds a symbolic link (repo/src/link); links are not followed."


@pytest.mark.parametrize("kind", [stat.S_IFIFO, stat.S_IFCHR, stat.S_IFBLK, stat.S_IFSOCK])
def test_a_special_file(tmp_path, kind):
    path = make_zip(tmp_path / "repo.zip", [*GOOD, (info("repo/dev/thing", kind | 0o644), b"")])
    assert refused(path) == ("The ZIP holds a special file (repo/dev/thing), such as a device or pipe; "
                             "only regular files are accepted.")


def test_the_same_name_twice(tmp_path):
    with pytest.warns(UserWarning, match="Duplicate name"):
        path = make_zip(tmp_path / "repo.zip", [*GOOD, ("repo/src/app.py", b"evil()\n")])
    assert refused(path) == "The ZIP holds the same path twice (repo/src/app.py)."


def test_names_that_differ_only_in_separators_are_the_same_path(tmp_path):
    path = make_zip(tmp_path / "repo.zip", [*GOOD, ("repo\\src\\app.py", b"evil()\n")])
    assert refused(path) == "The ZIP holds the same path twice (repo/src/app.py)."


def test_a_nul_in_a_member_name(tmp_path):
    path = make_zip(tmp_path / "repo.zip", [*GOOD, ("repo/a.pyXx", b"x = 1\n")])
    patch(path, b"repo/a.pyXx", new_name=b"repo/a.py\x00x")
    assert refused(path) == "The ZIP holds a member name with a NUL character (repo/a.py\\x00x)."


def test_an_unsupported_compression_method(tmp_path):
    path = make_zip(tmp_path / "repo.zip", [*GOOD, ("repo/odd.py", b"x = 1\n" * 100)])
    patch(path, b"repo/odd.py", central={10: ("<H", 9)}, local={8: ("<H", 9)})
    assert refused(path) == ("The ZIP holds a member compressed with an unsupported method "
                             "(repo/odd.py, method 9).")


# --- bombs and floods --------------------------------------------------------------

def test_a_member_with_a_bomb_ratio(tmp_path):
    path = make_zip(tmp_path / "repo.zip", [*GOOD, ("repo/zeros.txt", bytes(2_000_000))])
    message = refused(path, IngestLimits(max_compression_ratio=50))
    assert message.startswith("The ZIP holds a member that expands ")
    assert message.endswith("-fold (repo/zeros.txt), more than the limit of 50; "
                            "it looks like a compression bomb.")


def test_the_whole_archive_with_a_bomb_ratio(tmp_path):
    # Each member stays under the 1 MiB floor of the per-member test; together they do not.
    entries = [(f"repo/z{i}.txt", bytes(512 * 1024)) for i in range(8)]
    path = make_zip(tmp_path / "repo.zip", [*GOOD, *entries])
    message = refused(path, IngestLimits(max_compression_ratio=50))
    assert message.startswith("The ZIP as a whole expands ")
    assert message.endswith("-fold, more than the limit of 50; it looks like a compression bomb.")


def test_a_total_size_past_the_limit(tmp_path):
    entries = [(f"repo/f{i}.py", b"x = 1\n" * 100_000) for i in range(3)]  # 600 kB each
    path = make_zip(tmp_path / "repo.zip", entries)
    assert refused(path, IngestLimits(max_uncompressed_bytes=1024 * 1024, max_compression_ratio=1e9)) == \
        "The ZIP expands to more than 1.0 MiB; it looks like a compression bomb."


def test_a_header_that_lies_about_the_size_is_caught_by_counting(tmp_path):
    # 2 MB of zeros declared as 100 bytes: every check on the headers passes.
    path = make_zip(tmp_path / "repo.zip", [*GOOD, ("repo/liar.py", bytes(2_000_000))])
    patch(path, b"repo/liar.py", central={24: ("<I", 100)}, local={22: ("<I", 100)})
    assert refused(path) == ("The ZIP holds a member whose data is larger than its header declares "
                             "(repo/liar.py); it looks like a compression bomb.")


def test_reading_stops_one_byte_past_a_lying_header(tmp_path):
    path = make_zip(tmp_path / "repo.zip", [("liar.py", bytes(2_000_000))])
    patch(path, b"liar.py", central={24: ("<I", 100)}, local={22: ("<I", 100)})
    with open_zip(path, 10) as zf:
        listing = validate(zf, archive_size=path.stat().st_size, max_members=10,
                           max_uncompressed_bytes=10**9, max_compression_ratio=200)
        budget = ReadBudget(10**9)
        with pytest.raises(ArchiveError, match="larger than its header declares"):
            read_member(zf, listing.members[0], budget)
    assert budget.used == 101


def test_the_actual_bytes_count_against_the_total(tmp_path):
    path = make_zip(tmp_path / "repo.zip", [("a.py", b"a" * 600), ("b.py", b"b" * 600)])
    with open_zip(path, 10) as zf:
        listing = validate(zf, archive_size=path.stat().st_size, max_members=10,
                           max_uncompressed_bytes=10**9, max_compression_ratio=200)
        budget = ReadBudget(1000)
        assert read_member(zf, listing.members[0], budget) == b"a" * 600
        with pytest.raises(ArchiveError, match=r"^The ZIP expands to more than 1,000 bytes; "):
            read_member(zf, listing.members[1], budget)


def test_a_header_that_claims_more_than_there_is_is_corrupt(tmp_path):
    path = make_zip(tmp_path / "repo.zip", [*GOOD, ("repo/short.py", b"x = 1\n" * 10)])
    patch(path, b"repo/short.py", central={24: ("<I", 1000)}, local={22: ("<I", 1000)})
    assert refused(path) == "The ZIP archive is corrupt: repo/short.py is shorter than its header declares."


def test_overlapping_members(tmp_path):
    path = make_zip(tmp_path / "repo.zip", GOOD, compression=zipfile.ZIP_STORED)
    patch(path, b"repo/README.md", central={20: ("<I", path.stat().st_size)})
    assert refused(path) == "The ZIP's members overlap one another; it looks like a compression bomb."


def test_too_many_members(tmp_path):
    path = make_zip(tmp_path / "repo.zip", [(f"repo/f{i}.py", b"x\n") for i in range(6)])
    assert refused(path, IngestLimits(max_zip_members=5)) == \
        "The ZIP holds 6 files and folders, more than the limit of 5."


def test_too_many_members_behind_a_lying_count(tmp_path):
    path = make_zip(tmp_path / "repo.zip", [(f"repo/f{i}.py", b"x\n") for i in range(9)])
    data = bytearray(path.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 1, 1)  # entries on this disk, entries in total
    path.write_bytes(bytes(data))
    assert refused(path, IngestLimits(max_zip_members=5)) == \
        "The ZIP holds more than 5 files and folders, the limit."


# --- names, prefixes, and what still works ----------------------------------------------

def test_names_that_are_not_utf8_do_not_crash(tmp_path):
    path = make_zip(tmp_path / "repo.zip", [*GOOD, ("repo/cafX.py", b"x = 1\n"),
                                            ("repo/utfXX.py", b"y = 2\n")])
    patch(path, b"repo/cafX.py", new_name=b"repo/caf\xe9.py")        # cp437/Latin-1, no UTF-8 flag
    patch(path, b"repo/utfXX.py", new_name="repo/utfé.py".encode())  # UTF-8 without the flag
    paths = [f.path for f in ingest_zip(path, IngestLimits()).files]
    assert "caf\u0398.py" in paths  # 0xE9 read as cp437, as zipfile does
    assert "utfé.py" in paths


def test_a_name_flagged_utf8_that_is_not(tmp_path):
    path = make_zip(tmp_path / "repo.zip", [*GOOD, ("repo/caf\u00e9.py", b"x = 1\n")])  # flagged
    patch(path, "repo/caf\u00e9.py".encode(), new_name=b"repo/caf\xff\xfe.py")
    assert refused(path) == ("The ZIP archive is corrupt: a member name marked as UTF-8 is not "
                             "valid UTF-8.")


def test_a_zip_with_a_prefix_still_opens(tmp_path):
    # Self-extracting archives put a program before the ZIP; zipfile allows it, so do we.
    path = make_zip(tmp_path / "repo.zip", GOOD)
    path.write_bytes(b"MZ" + bytes(1000) + path.read_bytes())
    assert [f.path for f in ingest_zip(path, IngestLimits(max_zip_members=5)).files] == \
        ["README.md", "src/app.py"]


def test_folders_are_not_files_and_the_top_folder_is_stripped(tmp_path):
    path = make_zip(tmp_path / "repo.zip", [("repo/", b""), ("repo/src/", b""), *GOOD])
    with open_zip(path, 10) as zf:
        listing = validate(zf, archive_size=path.stat().st_size, max_members=10,
                           max_uncompressed_bytes=10**9, max_compression_ratio=200)
    assert listing.root_folder == "repo" and listing.entries == 4
    assert [m.path for m in listing.members] == ["src/app.py", "README.md"]


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(alphabet=st.sampled_from(list("ab./\\:C ")), max_size=16))
def test_a_normalised_name_never_leaves_the_root(name):
    try:
        path = normalise_name(name)
    except ArchiveError:
        return
    parts = path.split("/")
    assert ".." not in parts and "" not in parts or path == ""
    assert "\\" not in path and not path.startswith("/") and not re.match("[A-Za-z]:", path)


@pytest.mark.parametrize("limit, accepted", [(5, False), (50, True)])
def test_a_zip64_directory_is_counted_too(tmp_path, monkeypatch, limit, accepted):
    # zipfile writes the ZIP64 end record past 65,535 entries; lower that bar to write one here.
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 2)
    path = make_zip(tmp_path / "repo.zip", [(f"repo/f{i}.py", b"x = 1\n") for i in range(9)])
    monkeypatch.undo()
    assert b"PK\x06\x06" in path.read_bytes()
    if accepted:
        assert len(ingest_zip(path, IngestLimits(max_zip_members=limit)).files) == 9
    else:
        assert refused(path, IngestLimits(max_zip_members=limit)) == \
            "The ZIP holds 9 files and folders, more than the limit of 5."


def test_the_directory_walk_counts_what_zipfile_would_parse(tmp_path):
    from repowiki_gui.core.ingest.archive import _count_entries

    path = make_zip(tmp_path / "repo.zip", [(f"repo/{'d' * 200}/f{i}.py", b"x\n") for i in range(9000)])
    with open(path, "rb") as fp:  # a directory larger than one 1 MiB read
        assert _count_entries(fp, path.stat().st_size, 10_000) == (9000, True)
        assert _count_entries(fp, path.stat().st_size, 100) == (9000, True)  # the count field says so
    data = bytearray(path.read_bytes())
    struct.pack_into("<HH", data, data.rfind(b"PK\x05\x06") + 8, 1, 1)
    path.write_bytes(bytes(data))
    with open(path, "rb") as fp:  # the count lies: the walk finds the truth, stopping past the limit
        assert _count_entries(fp, path.stat().st_size, 8999) == (9000, False)
        assert _count_entries(fp, path.stat().st_size, 100) == (101, False)
        assert _count_entries(fp, path.stat().st_size, 10_000) == (9000, True)


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2,
                                    zipfile.ZIP_LZMA])
def test_every_supported_method_reads_back(tmp_path, method):
    text = "".join(f"line {i} café\n" for i in range(20_000)).encode()
    path = make_zip(tmp_path / "repo.zip", [("repo/a.py", text), *GOOD], compression=method)
    files = {f.path: f for f in ingest_zip(path, IngestLimits()).files}
    assert files["a.py"].text.encode() == text


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_a_lying_header_is_caught_whatever_the_method(tmp_path, method):
    # bzip2 packs 1 GiB of zeros into ~1 KiB and zipfile would inflate a 4 KiB read at once:
    # the reader must still stop one byte past the declared 100.
    path = make_zip(tmp_path / "repo.zip", [("liar.py", bytes(50_000_000))], compression=method)
    patch(path, b"liar.py", central={24: ("<I", 100)}, local={22: ("<I", 100)})
    with open_zip(path, 10) as zf:
        listing = validate(zf, archive_size=path.stat().st_size, max_members=10,
                           max_uncompressed_bytes=10**9, max_compression_ratio=200)
        budget = ReadBudget(10**9)
        tracemalloc.start()
        try:
            with pytest.raises(ArchiveError, match="larger than its header declares"):
                read_member(zf, listing.members[0], budget)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert budget.used == 101
    # LZMA is left to zipfile: its ratio tops out near 8,000:1, so one 4 KiB read of
    # compressed data briefly holds some tens of MB, never gigabytes as bzip2 would.
    assert peak < (100 if method == zipfile.ZIP_LZMA else 2) * 1024 * 1024


def test_a_damaged_bzip2_member_is_corrupt(tmp_path):
    path = make_zip(tmp_path / "repo.zip", [("repo/a.py", b"x = 1\n" * 5000), *GOOD],
                    compression=zipfile.ZIP_BZIP2)
    data = bytearray(path.read_bytes())
    _, local, name = next(headers(data))
    start = local + 30 + len(name) + 20
    data[start:start + 8] = b"\x55" * 8
    path.write_bytes(bytes(data))
    assert refused(path).startswith("The ZIP archive is corrupt")

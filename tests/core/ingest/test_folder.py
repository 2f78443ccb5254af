"""A folder read in place (core/ingest/folder.py): the rules of a ZIP, no link ever followed, nothing written."""
from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from repowiki_gui.core.errors import ArchiveError
from repowiki_gui.core.ingest.files import VENDORED_DIRS, IngestLimits, Ingested, ingest_source
from repowiki_gui.core.ingest.sources import open_source

from helpers.disk_audit import no_disk_writes

APP = b"def main():\n    return 1\n"
SECRET = b"API_KEY = 'outside the folder'\n"


def write(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def ingest(folder: Path, limits: IngestLimits = IngestLimits()) -> Ingested:
    """Ingest ``folder``, checking that nothing at all is written to disk."""
    with no_disk_writes() as writes:
        result = ingest_source(folder, limits)
    assert writes == []
    return result


def paths(result: Ingested) -> list[str]:
    return [f.path for f in result.files]


@pytest.fixture
def outside(tmp_path) -> Path:
    """A folder beside the repository, holding a file a link may point at."""
    return write(tmp_path / "outside", {"secret.py": SECRET, "sub/deep.py": SECRET})


def test_a_folder_is_selected_like_a_zip(tmp_path):
    repo = write(tmp_path / "repo", {
        "src/app.py": APP, "README.md": b"# Demo\n", ".gitignore": b"*.log\nbuild-out/\n",
        "debug.log": b"x\n", "build-out/gen.py": APP, "yarn.lock": b"x\n", "logo.png": b"\x89PNG\x00",
        "blob.txt": bytes(range(256)) * 2, "app.min.js": b"x\n", "big.py": b"x = 1\n" * 400,
        "docs/.gitignore": b"draft.md\n", "docs/draft.md": b"# Draft\n", "docs/guide.md": b"# Guide\n",
    })
    result = ingest(repo, IngestLimits(max_file_bytes=1000))
    assert paths(result) == [".gitignore", "README.md", "docs/.gitignore", "docs/guide.md", "src/app.py"]
    assert result.skipped == {"gitignored": 3, "lockfile": 1, "binary": 2, "minified": 1, "too_large": 1}
    assert result.root_folder is None  # a folder's paths are its own: nothing stripped
    assert next(f for f in result.files if f.path == "src/app.py").language == "python"


def test_vendored_trees_are_not_walked_and_count_once_each(tmp_path):
    repo = write(tmp_path / "repo", {"app.py": APP, **{f"node_modules/p{i}/index.js": b"x\n" for i in range(50)},
                                     ".git/objects/ab/cd": b"x", ".git/HEAD": b"ref: main\n",
                                     "lib/__pycache__/a.pyc": b"x"})
    assert {".git", "node_modules", "__pycache__"} <= VENDORED_DIRS
    # 50 packages would pass a limit of 20 entries if the walk went into node_modules
    result = ingest(repo, IngestLimits(max_zip_members=20))
    assert paths(result) == ["app.py"] and result.skipped == {"vendored": 3}


def test_a_symlink_is_never_followed_inside_or_out(tmp_path, outside):
    repo = write(tmp_path / "repo", {"src/app.py": APP})
    (repo / "secret.py").symlink_to(outside / "secret.py")      # a file outside
    (repo / "elsewhere").symlink_to(outside, target_is_directory=True)   # a folder outside
    (repo / "etc_passwd").symlink_to("/etc/passwd")
    (repo / "src/alias.py").symlink_to("app.py")                # inside, but still a link
    (repo / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    result = ingest(repo)
    assert paths(result) == ["src/app.py"] and result.skipped == {"link": 5}
    assert all(SECRET.decode() not in f.text for f in result.files)


def test_a_symlink_loop_ends(tmp_path):
    repo = write(tmp_path / "repo", {"app.py": APP})
    (repo / "loop").symlink_to(".", target_is_directory=True)
    (repo / "up").symlink_to("..", target_is_directory=True)
    (repo / "a").symlink_to("b")
    (repo / "b").symlink_to("a")
    result = ingest(repo)
    assert paths(result) == ["app.py"] and result.skipped == {"link": 4}


def test_pipes_and_sockets_are_skipped_never_opened(tmp_path):
    repo = write(tmp_path / "repo", {"app.py": APP})
    os.mkfifo(repo / "pipe.py")  # opening it for reading without O_NONBLOCK would hang the job
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(repo / "sock"))
        result = ingest(repo)
    finally:
        server.close()
    assert paths(result) == ["app.py"] and result.skipped == {"special": 2}


def test_a_folder_swapped_for_a_link_after_listing_is_not_followed(tmp_path, outside):
    repo = write(tmp_path / "repo", {"app.py": APP, "sub/deep.py": APP})
    limits = IngestLimits()
    with open_source(repo, limits) as source:
        assert sorted(m.path for m in source.members) == ["app.py", "sub/deep.py"]
        (repo / "sub/deep.py").unlink()
        (repo / "sub").rmdir()
        (repo / "sub").symlink_to(outside / "sub", target_is_directory=True)
        read = dict((m.path, data) for m, data in source.read(source.members, source.budget(10**9)))
    assert read == {"app.py": APP, "sub/deep.py": None}  # None: counted as unreadable, never the outside file


def test_a_file_that_grew_after_listing_is_one_sentence(tmp_path):
    repo = write(tmp_path / "repo", {"app.py": APP})
    with open_source(repo, IngestLimits()) as source:
        (repo / "app.py").write_bytes(APP * 3)
        with pytest.raises(ArchiveError, match=r"^The file app.py changed while the folder was being read; "
                                               r"index it again\.$"):
            list(source.read(source.members, source.budget(10**9)))


def test_the_folder_limits_are_one_sentence_each(tmp_path):
    repo = write(tmp_path / "repo", {f"f{i}.py": APP for i in range(30)})
    with pytest.raises(ArchiveError, match=r"^The folder holds more than 20 files and folders, the limit\.$"):
        ingest(repo, IngestLimits(max_zip_members=20))
    with pytest.raises(ArchiveError, match=r"^The folder holds more than 500 bytes of files to index, the limit\.$"):
        ingest(repo, IngestLimits(max_uncompressed_bytes=500))


def test_a_folder_without_text_says_so(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ArchiveError, match=r"^The folder contains no text files; it holds no files at all\.$"):
        ingest(empty)
    binaries = write(tmp_path / "bin", {"a.png": b"\x89PNG", "b.so": b"\x7fELF"})
    with pytest.raises(ArchiveError, match=r"^The folder contains no text files; of its 2 files: 2 binary\.$"):
        ingest(binaries)


def test_an_undecodable_file_name_is_shown_as_cp1252(tmp_path):
    repo = write(tmp_path / "repo", {"app.py": APP})
    with open(os.fsencode(repo) + b"/caf\xe9.py", "wb") as fp:
        fp.write(b"x = 1\n")
    assert paths(ingest(repo)) == ["app.py", "caf\u00e9.py"]


def test_the_digest_follows_the_files_read(tmp_path):
    repo = write(tmp_path / "repo", {"app.py": APP, "README.md": b"# A\n"})
    first = ingest(repo).zip_sha256
    os.utime(repo / "app.py", (1, 1))  # touched, not edited
    assert ingest(repo).zip_sha256 == first and len(first) == 64
    (repo / "app.py").write_bytes(APP + b"# edited\n")
    assert ingest(repo).zip_sha256 != first

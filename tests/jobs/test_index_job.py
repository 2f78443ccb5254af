"""`repowiki index` and `repowiki repos` end to end: real Redis, worker, ONNX model, LanceDB.

A ZIP, a folder read in place and a .tar.gz all go the same way (issue 15, point 3).
"""
import io
import json
import re
import tarfile
import zipfile

from helpers.processes import run_cli


APP = '''import json


class Store:
    """Keeps records in a JSON file."""

    def load(self, path):
        with open(path) as fh:
            return json.load(fh)

    def save(self, path, data):
        with open(path, "w") as fh:
            json.dump(data, fh)


def checksum(data: bytes) -> int:
    return sum(data) % 65536
'''


def make_zip(path, files):
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(f"demo-main/{name}", text)
    return path


def test_index_prints_progress_and_repos_lists_the_result(home, tmp_path):
    zip_path = make_zip(tmp_path / "demo.zip", {"src/store.py": APP, "README.md": "# Demo\n\nStores data.\n",
                                                 "package-lock.json": "{}", "logo.png": "\x89PNG\x00\x00"})
    result = run_cli("index", str(zip_path), home=home, timeout=300)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for stage in ("[extract]", "[scan]", "[chunk]", "[embed]", "[write]", "[full-text]"):
        assert stage in out, out
    assert "indexed demo: 2 files" in out

    repos = json.loads(run_cli("repos", "--json", home=home).stdout)
    assert len(repos) == 1
    repo = repos[0]
    assert repo["name"] == "demo" and repo["files"] == 2 and repo["chunks"] >= 3
    assert repo["skipped"] == {"lockfile": 1, "binary": 1}
    assert repo["languages"] == {"python": 1, "markdown": 1}
    assert len(repo["zip_sha256"]) == 64 and repo["indexed_at"]

    again = run_cli("index", str(zip_path), "--name", "demo", home=home, timeout=300)
    assert again.returncode == 0 and "unchanged: nothing to do" in again.stdout

    bad = tmp_path / "demo2.zip"
    bad.write_bytes(b"PK\x03\x04 truncated")
    failed = run_cli("index", str(bad), "--name", "demo", home=home, timeout=300)
    assert failed.returncode == 1
    assert failed.stderr.strip().count("\n") == 0 and "repowiki: " in failed.stderr
    assert json.loads(run_cli("repos", "--json", home=home).stdout)[0]["chunks"] == repo["chunks"]


def test_index_of_a_missing_file_fails_before_anything_starts(home, tmp_path):
    result = run_cli("index", str(tmp_path / "nope.zip"), home=home)
    assert result.returncode == 1
    assert result.stderr.strip() == f"repowiki: The file {tmp_path / 'nope.zip'} does not exist or is not a file."


def test_remove_deletes_a_repository_and_a_second_remove_says_it_is_gone(home, tmp_path):
    zip_path = make_zip(tmp_path / "demo.zip", {"src/store.py": APP})
    assert run_cli("index", str(zip_path), home=home, timeout=300).returncode == 0
    removed = run_cli("remove", "demo", home=home)
    assert removed.returncode == 0 and removed.stdout.strip() == "removed demo", removed.stderr
    assert json.loads(run_cli("repos", "--json", home=home).stdout) == []
    again = run_cli("remove", "demo", home=home)
    assert again.returncode == 1
    assert again.stderr.strip() == "repowiki: There is no indexed repository named 'demo'; see `repowiki repos`."
    # and it can be indexed again from scratch
    assert run_cli("index", str(zip_path), home=home, timeout=300).returncode == 0
    assert json.loads(run_cli("repos", "--json", home=home).stdout)[0]["name"] == "demo"


def summary(out: str) -> dict[str, int]:
    """The numbers of `repowiki index`'s last line: files, chunks, and what changed."""
    found = re.search(r"indexed \S+: (\d+) files, (\d+) chunks in [\d.]+ s \((\d+) changed, (\d+) removed files; "
                      r"(\d+) chunks embedded, (\d+) reused\)", out)
    assert found, out
    return dict(zip(("files", "chunks", "changed", "removed", "embedded", "reused"), map(int, found.groups())))


UTIL = "def double(x):\n    return 2 * x\n\n\ndef triple(x):\n    return 3 * x\n"


def test_a_folder_is_indexed_in_place_and_reindexed_by_content(home, tmp_path):
    folder = tmp_path / "demo-checkout"
    for name, text in {"src/store.py": APP, "src/util.py": UTIL, "README.md": "# Demo\n\nStores data.\n",
                       ".gitignore": "*.log\n", "debug.log": "noise\n", "node_modules/x/index.js": "x\n"}.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    (folder / "passwd").symlink_to("/etc/passwd")
    before = sorted(p.relative_to(folder) for p in folder.rglob("*"))

    first = run_cli("index", str(folder), home=home, timeout=300)
    assert first.returncode == 0, first.stderr
    assert summary(first.stdout)["files"] == 4  # store.py, util.py, README.md, .gitignore
    repo = json.loads(run_cli("repos", "--json", home=home).stdout)[0]
    assert repo["name"] == "demo-checkout" and repo["zip_path"] == str(folder)
    assert repo["skipped"] == {"gitignored": 1, "vendored": 1, "link": 1}
    found = json.loads(run_cli("search", "demo-checkout", "save records to a JSON file", "--json", home=home).stdout)
    assert found["references"][0]["path"] == "src/store.py"

    (folder / "src/util.py").touch()  # touched, not edited
    again = run_cli("index", str(folder), home=home, timeout=300)
    assert again.returncode == 0 and "unchanged: nothing to do" in again.stdout, again.stdout

    (folder / "src/util.py").write_text(UTIL + "\n\ndef quadruple(x):\n    return 4 * x\n")
    changed = summary(run_cli("index", str(folder), home=home, timeout=300).stdout)
    assert changed["changed"] == 1 and changed["removed"] == 0
    assert 1 <= changed["embedded"] < changed["chunks"]  # only util.py's new chunks went through the model
    assert sorted(p.relative_to(folder) for p in folder.rglob("*")) == before  # nothing written into it


def test_a_tarball_is_indexed_and_a_repacked_one_is_unchanged(home, tmp_path):
    def pack(path, mtime):
        with tarfile.open(path, "w:gz") as tar:
            for name, text in {"src/store.py": APP, "README.md": "# Demo\n"}.items():
                info = tarfile.TarInfo(f"demo-1.0/{name}")
                info.size, info.mtime = len(text.encode()), mtime
                tar.addfile(info, io.BytesIO(text.encode()))
        return path

    tarball = pack(tmp_path / "demo-1.0.tar.gz", 1_700_000_000)
    first = run_cli("index", str(tarball), home=home, timeout=300)
    assert first.returncode == 0, first.stderr
    assert "indexed demo-1.0: 2 files" in first.stdout
    sha = json.loads(run_cli("repos", "--json", home=home).stdout)[0]["zip_sha256"]

    pack(tarball, 1_800_000_000)  # other bytes, the same files
    again = run_cli("index", str(tarball), home=home, timeout=300)
    assert again.returncode == 0 and "unchanged: nothing to do" in again.stdout, again.stdout
    assert json.loads(run_cli("repos", "--json", home=home).stdout)[0]["zip_sha256"] != sha

    hostile = tmp_path / "evil.tgz"
    with tarfile.open(hostile, "w:gz") as tar:
        link = tarfile.TarInfo("evil/passwd")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    failed = run_cli("index", str(hostile), "--name", "demo-1.0", home=home, timeout=300)
    assert failed.returncode == 1
    assert failed.stderr.strip() == ("repowiki: The tar archive holds a symbolic link (evil/passwd); "
                                     "links are not followed.")

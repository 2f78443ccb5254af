"""`repowiki index` and `repowiki repos` end to end: real Redis, worker, ONNX model, LanceDB."""
import json
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

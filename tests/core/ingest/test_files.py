"""Which files of a repository ZIP are indexed, how they are decoded, and what is counted as skipped."""
from __future__ import annotations

import codecs
import hashlib
import zipfile
from pathlib import Path

import pytest

from repowiki_gui.core.errors import ArchiveError, JobCancelled
from repowiki_gui.core.ingest.files import (IngestLimits, Ingested, decode_text, detect_language,
                                            ingest_zip, looks_minified)

from helpers.disk_audit import no_disk_writes
from helpers.progress_recorder import Recorder


def make_zip(path: Path, entries, compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return path


def ingest(tmp_path: Path, entries, limits: IngestLimits = IngestLimits(), progress=None) -> Ingested:
    """Ingest a ZIP of ``entries``, checking that nothing at all is written to disk."""
    path = make_zip(tmp_path / "repo.zip", entries)
    before = sorted(tmp_path.rglob("*"))
    with no_disk_writes() as writes:
        result = ingest_zip(path, limits) if progress is None else ingest_zip(path, limits, progress)
    assert writes == [] and sorted(tmp_path.rglob("*")) == before
    return result


def paths(result: Ingested) -> list[str]:
    return [f.path for f in result.files]


def by_path(result: Ingested) -> dict:
    return {f.path: f for f in result.files}


APP = b"def main():\n    return 1\n"


# --- the root folder and the result ----------------------------------------------------

def test_a_single_top_folder_is_stripped(tmp_path):
    result = ingest(tmp_path, [("myrepo/", b""), ("myrepo/src/", b""), ("myrepo/src/app.py", APP),
                               ("myrepo/README.md", b"# Title\n")])
    assert result.root_folder == "myrepo"
    assert paths(result) == ["README.md", "src/app.py"]  # sorted
    assert result.members == 2 and result.skipped == {}
    app = by_path(result)["src/app.py"]
    assert (app.language, app.text, app.size) == ("python", APP.decode(), len(APP))
    assert app.sha256 == hashlib.sha256(APP).hexdigest()
    assert result.zip_sha256 == hashlib.sha256((tmp_path / "repo.zip").read_bytes()).hexdigest()


def test_without_a_single_top_folder_paths_are_kept(tmp_path):
    result = ingest(tmp_path, [("src/app.py", APP), ("docs/index.md", b"# Docs\n")])
    assert result.root_folder is None
    assert paths(result) == ["docs/index.md", "src/app.py"]
    result = ingest(tmp_path, [("repo/src/app.py", APP), ("setup.py", b"setup()\n")])
    assert result.root_folder is None and paths(result) == ["repo/src/app.py", "setup.py"]


def test_macos_debris_does_not_stop_the_stripping(tmp_path):
    result = ingest(tmp_path, [("repo/app.py", APP), ("__MACOSX/repo/._app.py", b"\x00\x05\x16\x07"),
                               ("repo/.DS_Store", b"\x00\x00\x00\x01Bud1")])
    assert result.root_folder == "repo" and paths(result) == ["app.py"]
    assert result.skipped == {"os_metadata": 2}


# --- what is skipped, by reason -----------------------------------------------------------

def test_vendored_trees_are_skipped(tmp_path):
    vendored = ["node_modules/left-pad/index.js", ".git/config", ".git/HEAD", "src/__pycache__/app.cpython-311.py",
                ".venv/lib/site.py", "venv/lib/x.py", "myenv/pyvenv.cfg", "myenv/lib/python3.11/x.py",
                "env/bin/activate", "env/lib/y.py", "lib/site-packages/pkg/mod.py", ".tox/py311/log.txt",
                ".mypy_cache/3.11/x.json", ".pytest_cache/README.md", "vendor/github.com/x/y.go",
                "bower_components/jq/jq.js", ".idea/workspace.xml", ".vscode/settings.json",
                "coverage/lcov.info", "pkg.egg-info/PKG-INFO", "dist/app.js", "build/lib/app.py",
                "target/debug/build.rs"]
    kept = ["src/app.py", "src/build/__init__.py", "src/build/main.py", "env.py", "docs/vendoring.md"]
    result = ingest(tmp_path, [(f"repo/{p}", b"x = 1\n") for p in vendored + kept])
    assert paths(result) == sorted(kept)
    assert result.skipped == {"vendored": len(vendored)}


def test_lock_files_are_skipped(tmp_path):
    locks = ["package-lock.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock", "Pipfile.lock",
             "web/Cargo.lock", "composer.lock", "Gemfile.lock", "go.sum", "uv.lock"]
    result = ingest(tmp_path, [*[(name, b"{}\n") for name in locks], ("app.py", APP), ("go.mod", b"module x\n")])
    assert paths(result) == ["app.py", "go.mod"]
    assert result.skipped == {"lockfile": len(locks)}


def test_binary_files_are_skipped_by_name_and_by_content(tmp_path):
    inner = tmp_path / "inner.zip"
    make_zip(inner, [("a.py", APP)])
    nested = inner.read_bytes()
    inner.unlink()
    entries = [
        ("logo.png", b"\x89PNG\r\n\x1a\n" + bytes(64)), ("mod.pyc", b"\x00\x01"), ("lib.so", b"ELF"),
        ("font.woff2", b"wOF2"), ("vendor.zip", nested),            # by extension
        ("data.dat", b"abc\x00def"),                                 # a NUL in the first 8 KiB
        ("payload.txt", nested),                                     # a ZIP under an innocent name
        ("noise.txt", bytes(range(1, 32)) * 20),                     # control characters, no NUL
        ("app.py", APP),
    ]
    result = ingest(tmp_path, entries)
    assert paths(result) == ["app.py"]
    assert result.skipped == {"binary": 8}


def test_minified_files_are_skipped_by_name_and_by_shape(tmp_path):
    normal_js = b"function f() {\n  return 1;\n}\n" * 50
    entries = [
        ("app.min.js", b"var a=1;\n"), ("style.min.css", b"a{}\n"), ("main.bundle.js", b"x\n"),
        ("app.js.map", b"{}\n"),
        ("one_line.js", b"var x=" + b"1+" * 4000 + b"1;\n"),                   # a line > 5000
        ("wide.css", (b"a{" + b"color:red;" * 40 + b"}\n") * 10),             # lines of ~400
        ("app.js", normal_js), ("tiny.js", b"module.exports = {" + b"a: 1, " * 60 + b"};\n"),
    ]
    result = ingest(tmp_path, entries)
    assert paths(result) == ["app.js", "tiny.js"]  # a short one-line config is not a bundle
    assert result.skipped == {"minified": 6}


def test_oversized_files_are_skipped_before_reading(tmp_path):
    entries = [("big.py", b"x = 1\n" * 400), ("small.py", APP)]
    result = ingest(tmp_path, entries, IngestLimits(max_file_bytes=1000))
    assert paths(result) == ["small.py"] and result.skipped == {"too_large": 1}


def test_an_oversized_file_is_never_read(tmp_path, monkeypatch):
    import repowiki_gui.core.ingest.sources as sources

    read = []
    real = sources.read_member
    monkeypatch.setattr(sources, "read_member", lambda zf, m, b: read.append(m.path) or real(zf, m, b))
    ingest(tmp_path, [("big.py", b"x = 1\n" * 400), ("small.py", APP)], IngestLimits(max_file_bytes=1000))
    assert read == ["small.py"]


def test_every_reason_is_counted_together(tmp_path):
    entries = [("r/app.py", APP), ("r/.gitignore", b"*.log\n"), ("r/debug.log", b"x\n"),
               ("r/node_modules/a.js", b"x\n"), ("r/yarn.lock", b"x\n"), ("r/a.min.js", b"x\n"),
               ("r/logo.png", b"x"), ("r/huge.txt", b"y" * 5000), ("r/blob.bin2", b"\x00\x01")]
    result = ingest(tmp_path, entries, IngestLimits(max_file_bytes=4096))
    assert paths(result) == [".gitignore", "app.py"]  # .gitignore files are indexed
    assert result.skipped == {"gitignored": 1, "vendored": 1, "lockfile": 1, "minified": 1,
                              "binary": 2, "too_large": 1}
    assert result.members == 9


# --- .gitignore ------------------------------------------------------------------------

def test_root_and_nested_gitignore_files(tmp_path):
    entries = [
        ("repo/.gitignore", b"*.log\n/out/\nsecrets.py\n# a comment\n"),
        ("repo/app.py", APP),
        ("repo/app.log", b"x\n"),              # ignored: *.log
        ("repo/out/gen.py", b"x\n"),           # ignored: /out/
        ("repo/lib/out/kept.py", b"x\n"),      # kept: /out/ is anchored at the root
        ("repo/lib/secrets.py", b"x\n"),       # ignored: an unanchored name matches at any depth
        ("repo/lib/.gitignore", b"local_*.py\n!keep.log\n"),
        ("repo/lib/local_cfg.py", b"x\n"),     # ignored by the nested file, relative to lib/
        ("repo/local_top.py", b"x\n"),         # kept: the nested rule does not reach up
        ("repo/lib/keep.log", b"x\n"),         # kept: re-included by the deeper file
        ("repo/other/keep.log", b"x\n"),       # ignored: the re-inclusion does not reach here
    ]
    result = ingest(tmp_path, entries)
    assert paths(result) == [".gitignore", "app.py", "lib/.gitignore", "lib/keep.log",
                             "lib/out/kept.py", "local_top.py"]
    assert result.skipped == {"gitignored": 5}


def test_a_gitignore_inside_an_ignored_folder_is_not_read(tmp_path):
    entries = [("repo/.gitignore", b"generated/\n"), ("repo/app.py", APP),
               ("repo/generated/.gitignore", b"!*\n"), ("repo/generated/x.py", b"x\n")]
    result = ingest(tmp_path, entries)
    assert paths(result) == [".gitignore", "app.py"] and result.skipped == {"gitignored": 2}


# --- decoding --------------------------------------------------------------------------

@pytest.mark.parametrize("raw, text", [
    (codecs.BOM_UTF8 + "héllo\r\nworld\n".encode(), "héllo\nworld\n"),
    (codecs.BOM_UTF16_LE + "héllo\r\n".encode("utf-16-le"), "héllo\n"),
    (codecs.BOM_UTF16_BE + "héllo\r\n".encode("utf-16-be"), "héllo\n"),
    (codecs.BOM_UTF32_LE + "héllo\n".encode("utf-32-le"), "héllo\n"),
    ("café = 'naïve'\n".encode("latin-1"), "café = 'naïve'\n"),
    ("say \u201cquoted\u201d \u2014 ok\n".encode("cp1252"), "say \u201cquoted\u201d \u2014 ok\n"),
    (b"old\rmac\rlines", "old\nmac\nlines"),
    (b"", ""),
])
def test_decoding(tmp_path, raw, text):
    assert decode_text(raw) == text
    result = ingest(tmp_path, [("app.py", APP), ("doc.txt", raw)])
    assert by_path(result)["doc.txt"].text == text
    assert by_path(result)["doc.txt"].size == len(raw)


def test_utf16_without_a_bom_is_binary():
    assert decode_text("hello".encode("utf-16-le")) is None


def test_a_200_kb_single_line_does_not_crash(tmp_path):
    line = b"x = [" + b"1, " * 70_000 + b"]"  # ~210 KB, no newline at all
    result = ingest(tmp_path, [("data.py", line), ("bundle.js", line), ("app.py", APP)])
    assert len(by_path(result)["data.py"].text) == len(line)  # not JS/CSS: kept
    assert result.skipped == {"minified": 1}


def test_looks_minified_only_judges_js_and_css():
    assert looks_minified("a.js", "x" * 6000, 6000)
    assert not looks_minified("a.py", "x" * 6000, 6000)
    assert not looks_minified("a.css", "a { color: red; }\n" * 100, 1800)


@pytest.mark.parametrize("path, language", [
    ("a.py", "python"), ("a.pyi", "python"), ("a.js", "javascript"), ("a.mjs", "javascript"),
    ("a.cjs", "javascript"), ("a.jsx", "javascript"), ("a.ts", "typescript"), ("a.tsx", "tsx"),
    ("A.java", "java"), ("a.go", "go"), ("a.rs", "rust"), ("a.c", "c"), ("a.h", "c"),
    ("a.cc", "cpp"), ("a.cpp", "cpp"), ("a.cxx", "cpp"), ("a.hpp", "cpp"), ("a.hh", "cpp"),
    ("a.hxx", "cpp"), ("a.cs", "csharp"), ("a.rb", "ruby"), ("a.php", "php"), ("README.md", "markdown"),
    ("a.markdown", "markdown"), ("index.rst", "rst"), ("src/deep/Mod.PY", "python"),
    ("Makefile", None), ("Dockerfile", None), ("notes.txt", None), (".gitignore", None), ("a.json", None),
])
def test_detect_language(path, language):
    assert detect_language(path) == language


# --- nothing to index ------------------------------------------------------------------------

def test_a_zip_with_no_text_files(tmp_path):
    path = make_zip(tmp_path / "repo.zip", [("repo/logo.png", b"\x89PNG"), ("repo/a.bin2", b"\x00\x01"),
                                            ("repo/node_modules/x.js", b"x\n")])
    with no_disk_writes() as writes, pytest.raises(ArchiveError) as caught:
        ingest_zip(path, IngestLimits())
    assert writes == []
    assert str(caught.value) == "The ZIP contains no text files; of its 3 files: 2 binary, 1 vendored."


def test_an_empty_zip_and_a_zip_of_empty_files(tmp_path):
    path = make_zip(tmp_path / "repo.zip", [])
    with pytest.raises(ArchiveError, match=r"^The ZIP contains no text files; it holds no files at all\.$"):
        ingest_zip(path, IngestLimits())
    path = make_zip(tmp_path / "repo.zip", [("pkg/__init__.py", b""), ("pkg/blank.py", b"\n\n")])
    with pytest.raises(ArchiveError, match=r"^The ZIP contains no text files; of its 2 files: 2 empty\.$"):
        ingest_zip(path, IngestLimits())


def test_empty_files_beside_real_ones_are_kept(tmp_path):
    result = ingest(tmp_path, [("pkg/__init__.py", b""), ("pkg/app.py", APP)])
    assert paths(result) == ["__init__.py", "app.py"]  # the single folder "pkg" is stripped


# --- progress and cancellation ---------------------------------------------------------

def test_progress_reports_extract_then_scan(tmp_path):
    recorder = Recorder()
    entries = [(f"repo/f{i}.py", b"x = %d\n" % i) for i in range(600)]
    ingest(tmp_path, entries, progress=recorder)
    stages = [stage for stage, _, _ in recorder.updates]
    assert stages[0] == "extract" and stages[-1] == "scan"
    assert stages.index("scan") > max(i for i, s in enumerate(stages) if s == "extract")
    assert ("extract", 600, 600) in recorder.updates and ("scan", 600, 600) in recorder.updates
    assert recorder.checks >= 6  # every few hundred members, in each pass


def test_cancellation_stops_ingestion(tmp_path):
    entries = [(f"repo/f{i}.py", b"x = %d\n" % i) for i in range(1000)]
    path = make_zip(tmp_path / "repo.zip", entries)
    with pytest.raises(JobCancelled):
        ingest_zip(path, IngestLimits(), Recorder(cancel_after=3))


def test_a_gitignore_with_broken_lines_keeps_its_good_ones(tmp_path):
    entries = [("r/.gitignore", b"!\n[z-a]\ntrailing\\\n*.tmp\n"), ("r/app.py", APP), ("r/x.tmp", b"x\n")]
    result = ingest(tmp_path, entries)
    assert paths(result) == [".gitignore", "app.py"] and result.skipped == {"gitignored": 1}

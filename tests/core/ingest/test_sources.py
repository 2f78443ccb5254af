"""Which kind of source a path is (core/ingest/sources.py): the content decides, not the name."""
from __future__ import annotations

import pytest

from repowiki_gui.core.errors import ArchiveError
from repowiki_gui.core.ingest.files import IngestLimits
from repowiki_gui.core.ingest.sources import open_source

from helpers.hostile_tarballs import GOOD as TAR_GOOD, make_tgz
from helpers.zip_crafting import GOOD as ZIP_GOOD, make_zip


def kind_of(path) -> str:
    with open_source(path, IngestLimits()) as source:
        return source.kind


def test_each_kind_by_its_content(tmp_path):
    folder = tmp_path / "repo"
    folder.mkdir()
    assert kind_of(folder) == "folder"
    assert kind_of(make_zip(tmp_path / "a.zip", ZIP_GOOD)) == "ZIP"
    assert kind_of(make_tgz(tmp_path / "b.tar.gz", TAR_GOOD)) == "tar archive"
    assert kind_of(make_tgz(tmp_path / "c.tgz", TAR_GOOD)) == "tar archive"
    # renamed: the bytes win
    assert kind_of(make_zip(tmp_path / "d.tar.gz", ZIP_GOOD)) == "ZIP"
    assert kind_of(make_tgz(tmp_path / "e.zip", TAR_GOOD)) == "tar archive"


def test_what_is_neither_says_which_it_was_meant_to_be(tmp_path):
    (tmp_path / "notes.tgz").write_text("just text\n")
    (tmp_path / "notes.zip").write_text("just text\n")
    with pytest.raises(ArchiveError, match=r"^This file is not a gzip-compressed tar archive\.$"):
        kind_of(tmp_path / "notes.tgz")
    with pytest.raises(ArchiveError, match=r"^This file is not a ZIP archive\.$"):
        kind_of(tmp_path / "notes.zip")
    with pytest.raises(ArchiveError, match=r"^The file gone.tar.gz does not exist\.$"):
        kind_of(tmp_path / "gone.tar.gz")

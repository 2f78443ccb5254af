"""core/wiki/folder: the pages a wiki's manifest lists, and reading one of them and nothing else."""
import json

import pytest

from repowiki_gui.core.errors import UserError
from repowiki_gui.core.wiki.folder import docs_pages, read_page


@pytest.fixture
def wiki(tmp_path):
    folder = tmp_path / "wiki" / "demo"
    (folder / "docs" / "sources" / "src").mkdir(parents=True)
    (folder / "docs" / "index.md").write_text("# Home\n")
    (folder / "docs" / "overview.md").write_text("# Overview\n")
    (folder / "docs" / "sources" / "src" / "app.py.md").write_text("# src/app.py\n")
    (folder / "docs" / "notes.md").write_text("not listed")
    (tmp_path / "wiki" / "secret.md").write_text("outside")
    manifest = {"pages": [{"path": "index.md", "title": "Home", "group": ""},
                          {"path": "overview.md", "title": "Repository Overview", "group": ""}],
                "files": ["docs/index.md", "docs/overview.md", "docs/sources/src/app.py.md", "mkdocs.yml"]}
    (folder / "wiki.json").write_text(json.dumps(manifest))
    return folder


def test_the_pages_then_the_source_pages(wiki):
    manifest = json.loads((wiki / "wiki.json").read_text())
    assert docs_pages(manifest) == ["index.md", "overview.md", "sources/src/app.py.md"]


def test_a_listed_page_is_read(wiki):
    assert read_page(wiki, "demo", "overview.md") == "# Overview\n"
    assert read_page(wiki, "demo", "sources/src/app.py.md") == "# src/app.py\n"


@pytest.mark.parametrize("page", ["notes.md", "missing.md", "../secret.md", "../../secret.md", "/etc/passwd",
                                  "../wiki.json", "./overview.md", "mkdocs.yml"])
def test_anything_else_is_refused_in_one_sentence(wiki, page):
    with pytest.raises(UserError, match="has no page") as err:
        read_page(wiki, "demo", page)
    assert "\n" not in str(err.value)


def test_no_wiki_and_a_page_gone_from_disk(wiki, tmp_path):
    with pytest.raises(UserError, match="has no wiki yet"):
        read_page(tmp_path / "nothing", "other", "index.md")
    (wiki / "docs" / "overview.md").unlink()
    with pytest.raises(UserError, match="missing on disk"):
        read_page(wiki, "demo", "overview.md")

"""core/index/sources: lines a–b of an indexed file, read from the index; paths outside the repository refused."""
import numpy as np
import pytest

from repowiki_gui.core.errors import UserError
from repowiki_gui.core.index.chunking import Chunk
from repowiki_gui.core.index.sources import checked_source_path, read_lines
from repowiki_gui.core.index.store import ChunkStore

DIM = 8


@pytest.fixture
def store(tmp_path):
    store = ChunkStore(tmp_path / "lancedb", DIM)
    text = "\n".join(f"line {n}" for n in range(1, 11))
    chunks = [Chunk(path="src/app.py", language="python", symbol="", kind="code", start_line=1, end_line=10,
                    text=text, embed_text=text)]
    store.apply("demo", chunks, np.ones((1, DIM), np.float32), {"src/app.py": "sha"}, set())
    return store


def test_a_range_of_lines_and_the_file_length(store):
    got = read_lines(store, "demo", "src/app.py", 3, 5)
    assert got == {"repo": "demo", "path": "src/app.py", "start_line": 3, "end_line": 5, "total_lines": 10,
                   "text": "line 3\nline 4\nline 5"}
    assert read_lines(store, "demo", "src/app.py", 9)["text"] == "line 9\nline 10"       # to the end
    assert read_lines(store, "demo", "src/app.py", 8, 500)["end_line"] == 10              # clamped
    assert read_lines(store, "demo", "./src//app.py", 1, 1)["path"] == "src/app.py"       # normalised


@pytest.mark.parametrize("path", ["../etc/passwd", "src/../../x.py", "/etc/passwd", "~/.ssh/id_rsa", "..",
                                  "C:/Windows/win.ini", "src\\..\\..\\x", "a\0b", ""])
def test_a_path_outside_the_repository_is_refused(path):
    with pytest.raises(UserError) as err:
        checked_source_path("demo", path)
    assert str(err.value).endswith(".") and "\n" not in str(err.value)


def test_a_file_not_indexed_or_a_range_past_its_end_is_one_sentence(store):
    with pytest.raises(UserError, match="not an indexed file of demo"):
        read_lines(store, "demo", "src/other.py")
    with pytest.raises(UserError, match="not an indexed file of other"):
        read_lines(store, "other", "src/app.py")                      # another repository's index is not read
    with pytest.raises(UserError, match="has 10 lines; line 11 is past its end"):
        read_lines(store, "demo", "src/app.py", 11)
    with pytest.raises(UserError, match="not a range"):
        read_lines(store, "demo", "src/app.py", 5, 2)
    with pytest.raises(UserError, match="not a range"):
        read_lines(store, "demo", "src/app.py", 0, 2)

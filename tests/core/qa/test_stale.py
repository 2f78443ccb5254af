"""Stale answers: each reference stamped with its cited lines' hash, marked when its code changed."""
import json
import sqlite3

from repowiki_gui.core.qa.conversations import Conversations
from repowiki_gui.core.qa.stale import mark_stale, reference_hashes, stamp_last_turn

CODE = "\n".join(f"line {n}" for n in range(1, 31))
REFS = [{"path": "a.py", "start_line": 3, "end_line": 6, "symbol": "f", "score": 0.9, "kind": "code", "repo": "r"},
        {"path": "b.py", "start_line": 10, "end_line": 12, "symbol": "g", "score": 0.8, "kind": "code", "repo": "r"},
        {"path": "overview.md", "start_line": 1, "end_line": 9, "symbol": "", "score": 0.5, "kind": "wiki",
         "repo": "r"}]


def reader(files: dict[str, str]):
    return lambda repo, path: files.get(path) if repo == "r" else None


def answered(db, files) -> str:
    conversations = Conversations(db)
    conv = conversations.create("r", "what does f do?")
    conversations.add_turn(conv, "what does f do?", "It adds [1].", REFS)
    stamp_last_turn(db, conv, reference_hashes(REFS, "r", reader(files)))
    return conv


def test_a_reopened_answer_marks_the_references_whose_lines_changed(tmp_path):
    db = tmp_path / "app.sqlite"
    conv = answered(db, {"a.py": CODE, "b.py": CODE})
    turns = Conversations(db).turns(conv)

    [same] = mark_stale(db, conv, turns, "r", reader({"a.py": CODE, "b.py": CODE}))
    assert same["stale"] is False and [r.get("stale") for r in same["references"]] == [False, False, None]

    outside = CODE.replace("line 20", "line twenty")   # b.py's 10-12 and a.py's 3-6 untouched
    [still] = mark_stale(db, conv, turns, "r", reader({"a.py": outside, "b.py": outside}))
    assert still["stale"] is False

    inside = CODE.replace("line 4", "line four")
    [changed] = mark_stale(db, conv, turns, "r", reader({"a.py": inside, "b.py": CODE}))
    assert changed["stale"] is True and [r.get("stale") for r in changed["references"]] == [True, False, None]

    [gone] = mark_stale(db, conv, turns, "r", reader({"a.py": CODE}))
    assert [r.get("stale") for r in gone["references"]] == [False, True, None]
    assert turns[0]["references"] == REFS   # the turns given are not changed in place


def test_a_reference_without_its_repository_is_of_the_conversation(tmp_path):
    db = tmp_path / "app.sqlite"
    old_style = [{k: v for k, v in REFS[0].items() if k != "repo"}]
    conversations = Conversations(db)
    conv = conversations.create("r", "q")
    conversations.add_turn(conv, "q", "a [1].", old_style)
    stamp_last_turn(db, conv, reference_hashes(old_style, "r", reader({"a.py": CODE})))
    [turn] = mark_stale(db, conv, conversations.turns(conv), "r", reader({"a.py": CODE.replace("line 3", "3")}))
    assert turn["references"][0]["stale"] is True


def test_turns_saved_before_stamps_are_left_unmarked(tmp_path):
    db = tmp_path / "app.sqlite"
    conversations = Conversations(db)
    conv = conversations.create("r", "q")
    conversations.add_turn(conv, "q", "a [1].", REFS)   # no stamp: as in a data dir from before
    [turn] = mark_stale(db, conv, conversations.turns(conv), "r", reader({}))
    assert "stale" not in turn and all("stale" not in r for r in turn["references"])
    # a later answer is stamped and marked; the stamp goes to its own turn
    conversations.add_turn(conv, "q2", "b [1].", REFS[:1])
    stamp_last_turn(db, conv, reference_hashes(REFS[:1], "r", reader({"a.py": CODE})))
    old, new = mark_stale(db, conv, conversations.turns(conv), "r", reader({}))
    assert "stale" not in old and new["stale"] is True
    with sqlite3.connect(db) as raw:
        assert [(i, json.loads(h)) for i, h in raw.execute("SELECT idx, ref_hashes FROM cited_lines")] == [
            (1, reference_hashes(REFS[:1], "r", reader({"a.py": CODE})))]

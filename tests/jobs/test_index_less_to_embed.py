"""Less to embed, end to end (issue 16, point 2): real Redis, worker, ONNX model, LanceDB.

A file copied into another folder goes through the model once; a base64 blob gets no vector
and is still found by `repowiki search`.
"""
import base64
import json
import re
import zipfile

import numpy as np

from repowiki_gui.core.datadir import lancedb_dir
from repowiki_gui.core.index.store import ChunkStore

from helpers.demo_repo import APP
from helpers.processes import run_cli

BLOB = "\n".join(base64.b64encode(bytes((i * 91 + j * 7) % 256 for j in range(57))).decode() for i in range(12))


def test_copies_are_embedded_once_and_a_blob_is_left_to_full_text(home, tmp_path):
    zip_path = tmp_path / "demo.zip"
    with zipfile.ZipFile(zip_path, "w") as zf:
        for name, text in {"src/app.py": APP, "backup/app.py": APP, "assets/logo.b64": BLOB}.items():
            zf.writestr(f"demo-main/{name}", text)
    result = run_cli("index", str(zip_path), home=home, timeout=300)
    assert result.returncode == 0, result.stderr
    found = re.search(r"(\d+) chunks in .*; (\d+) chunks embedded, (\d+) reused\)", result.stdout)
    assert found, result.stdout
    chunks, embedded, reused = map(int, found.groups())

    rows = ChunkStore(lancedb_dir(home), 384).repo_rows("demo")
    by_path = {p: [r for r in rows if r["path"] == p] for p in ("src/app.py", "backup/app.py", "assets/logo.b64")}
    assert len(rows) == chunks and all(by_path.values())
    assert embedded == len(by_path["src/app.py"]) and reused == len(by_path["backup/app.py"])
    table = ChunkStore(lancedb_dir(home), 384).table()
    vectors = {r["path"]: np.asarray(r["vector"]) for r in table.search().select(["path", "vector"]).to_list()}
    assert not vectors["assets/logo.b64"].any() and vectors["src/app.py"].any()

    token = BLOB.split("\n")[5]
    hits = json.loads(run_cli("search", "demo", token, "--json", home=home, timeout=300).stdout)["references"]
    assert "assets/logo.b64" in {h["path"] for h in hits}  # by full text alone: no vector list holds it
    hits = json.loads(run_cli("search", "demo", "read the config file", "--json", home=home,
                              timeout=300).stdout)["references"]
    assert {"src/app.py", "backup/app.py"} <= {h["path"] for h in hits}

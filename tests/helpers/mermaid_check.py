"""Checks Mermaid diagrams with the official parser (mermaid on Node, see tests/mermaid/).

A regex cannot say whether Mermaid will render a diagram; the parser that the
wiki viewer runs can. CI installs it with ``npm ci --prefix tests/mermaid``.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

MERMAID_DIR = Path(__file__).resolve().parents[1] / "mermaid"


def mermaid_errors(diagrams: list[str]) -> list[str | None]:
    """For each diagram, None if Mermaid parses it, else the parser's error message."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: the Mermaid parser runs on Node.js (see the README's test command)")
    if not (MERMAID_DIR / "node_modules" / "mermaid").is_dir():
        pytest.fail("tests/mermaid/node_modules is missing: run "
                    "`npm ci --prefix tests/mermaid --no-audit --no-fund` (the README's test command does)")
    done = subprocess.run([node, str(MERMAID_DIR / "parse.mjs")], input=json.dumps(diagrams),
                          capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"parse.mjs failed ({done.returncode}): {done.stderr[-2000:]}")
    results = json.loads(done.stdout)
    assert len(results) == len(diagrams)
    return results

"""core imports neither PySide6 nor rq, jobs no PySide6 (napari's rule); core's stages import downwards only."""
import pkgutil
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import repowiki_gui

ROOT = Path(repowiki_gui.__file__).resolve().parent.parent

BLOCKER = textwrap.dedent("""
    import importlib.abc, pkgutil, sys
    BLOCKED = {blocked!r}
    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"layering: {{name}} imported")
    sys.meta_path.insert(0, Block())
    import {package} as pkg
    for mod in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        __import__(mod.name)
    print("ok", len(list(pkgutil.walk_packages(pkg.__path__))))
""")


@pytest.mark.parametrize("package, blocked", [
    ("repowiki_gui.core", ("PySide6", "rq", "redis", "mcp")),
    ("repowiki_gui.jobs", ("PySide6", "mcp")),
    ("repowiki_gui.mcp_server", ("PySide6",)),
])
def test_package_imports_with_forbidden_modules_blocked(package, blocked):
    code = BLOCKER.format(blocked=set(blocked), package=package)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")


def test_the_walk_sees_the_modules_it_checks():
    from repowiki_gui import core, jobs

    seen = {m.name for m in pkgutil.walk_packages(core.__path__, "repowiki_gui.core.")}
    # the top-level modules, and the modules inside each stage's subpackage
    assert {f"repowiki_gui.core.{name}" for name in ("errors", "progress", "ingest.files", "index.store",
                                                      "models.llm", "qa.answer", "analysis.api", "wiki.prose")} <= seen
    assert {"manager", "service", "worker"} <= {m.name for m in pkgutil.walk_packages(jobs.__path__)}


def test_import_linter_contracts_hold():
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    result = subprocess.run([exe, str(ROOT / "pyproject.toml")], capture_output=True,
                            text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 5 kept, 0 broken" in result.stdout

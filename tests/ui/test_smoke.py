"""`repowiki gui --smoke ZIP` on the installed entry point, as installers/smoke.sh runs it on the built app.

Real processes and models: the window offscreen, Redis, both workers, the ONNX
embedder and the bundled GGUF.  The `home` fixture fails a test that leaves a
process mentioning the data dir behind.
"""
import os
import subprocess
import sys
import zipfile

import pytest

from helpers.sample_repos import SHOP_FILES


def smoke(home, zip_path, *extra, timeout=600):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "repowiki_gui", "--home", str(home), "gui", "--smoke",
                           str(zip_path), *extra], capture_output=True, text=True, timeout=timeout, env=env,
                          check=False)


@pytest.mark.timeout(900)
def test_smoke_indexes_asks_and_exits_0(home, tmp_path):
    zip_path = tmp_path / "shop.zip"
    with zipfile.ZipFile(zip_path, "w") as zf:
        for name, text in SHOP_FILES.items():
            zf.writestr(f"shop-main/{name}", text)
    result = smoke(home, zip_path, "--smoke-question", "how is the webhook signature verified?",
                   "--smoke-timeout", "600")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for step in ("window open, services ready", "indexed shop", "asked: how is the webhook",
                 "first token", "references", "ok"):
        assert step in out, out


@pytest.mark.timeout(300)
def test_smoke_fails_with_the_index_error_and_stops_everything(home, tmp_path):
    zip_path = tmp_path / "evil.zip"
    with zipfile.ZipFile(zip_path, "w") as zf:
        zf.writestr("../escape.py", "print('out')\n")
    result = smoke(home, zip_path, "--smoke-timeout", "240", timeout=280)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "smoke test failed while indexing evil.zip: the index job ended failed" in result.stderr, result.stderr


def test_smoke_of_a_missing_zip_starts_nothing(home, tmp_path):
    result = smoke(home, tmp_path / "nope.zip", timeout=60)
    assert result.returncode == 1
    assert "nope.zip does not exist" in result.stderr
    assert not (home / "run" / "redis.sock").exists()

"""What the command line prints around its work: the model's first assembly and the reading line."""
from __future__ import annotations

import io

import pytest

from repowiki_gui.cli import output, services
from repowiki_gui.core.models import catalog
from repowiki_gui.settings import Settings


class _Stderr(io.StringIO):
    def __init__(self, tty: bool):
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def _assembly(monkeypatch, tty: bool) -> str:
    def resolve(model_id, file_path, progress=None, should_stop=None):
        for done in range(0, 101, 5):
            progress(done, 100, "Preparing the model X")

    monkeypatch.setattr(catalog, "resolve", resolve)
    err = _Stderr(tty)
    monkeypatch.setattr(services.sys, "stderr", err)
    services.prepare_model(Settings())
    return err.getvalue()


def test_assembly_off_a_terminal_is_a_start_and_an_end_line(monkeypatch):
    out = _assembly(monkeypatch, tty=False)
    assert out.splitlines() == ["  Preparing the model X: started (first start only)", "  Preparing the model X: done"]


def test_assembly_on_a_terminal_counts_up_on_one_line(monkeypatch):
    out = _assembly(monkeypatch, tty=True)
    assert out.count("\n") == 1 and out.endswith("100%\n") and out.count("\r") == 21


@pytest.mark.parametrize("tty", [False, True])
def test_the_reading_line_goes_away_or_stays_one_line(monkeypatch, tty):
    err = _Stderr(tty)
    monkeypatch.setattr(output.sys, "stderr", err)
    line = output.ReadingLine(enabled=True)
    for done in (0, 96, 192, 240):
        line.update(done, 240)
    line.end()
    out = err.getvalue()
    if tty:
        assert "100%" in out and out.endswith("\r\033[K")
    else:
        assert out == "  Reading the sources (240 tokens)…\n"
    quiet = output.ReadingLine(enabled=False)  # --json: nothing but the object
    quiet.update(10, 240)
    assert err.getvalue() == out

"""The Settings dialog: shows the current values, validates, saves and asks the bridge to apply."""
from __future__ import annotations

import dataclasses
import json

import pytest
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit

from repowiki_gui.settings import Settings
from repowiki_gui.ui.main_window import MainWindow
from repowiki_gui.ui.settings_dialog import OTHER_MODEL, SettingsDialog


def press_ok(dialog: SettingsDialog) -> None:
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()


def make_dialog(qtbot, settings, home) -> SettingsDialog:
    dialog = SettingsDialog(settings, home)
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


def test_the_dialog_shows_the_current_values(qtbot, tmp_path):
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    settings = Settings(llm_model_path=str(model), llm_threads=1, llm_n_ctx=4096, bulk_workers=3,
                        redis_url="redis://:secret@host:6379/0")
    dialog = make_dialog(qtbot, settings, tmp_path)
    assert dialog.model_path.text() == str(model)
    assert dialog.other_chosen() and dialog.model_path.isEnabled()
    assert dialog.threads.value() == 1
    assert dialog.n_ctx.value() == 4096
    assert dialog.n_ctx.singleStep() == 512
    assert dialog.bulk_workers.value() == 3
    assert dialog.bulk_workers.minimum() == 0 and dialog.bulk_workers.maximum() == 8
    assert dialog.redis_url.text() == "redis://:secret@host:6379/0"
    assert dialog.redis_url.echoMode() == QLineEdit.EchoMode.Password
    assert dialog.data_dir.text() == str(tmp_path) and dialog.data_dir.isReadOnly()


def test_editing_and_ok_returns_the_new_settings(qtbot, tmp_path):
    model = tmp_path / "other.gguf"
    model.write_bytes(b"GGUF")
    settings = Settings(retry_intervals_s=(1, 2, 3))
    dialog = make_dialog(qtbot, settings, tmp_path)
    dialog.model_choice.setCurrentIndex(dialog.model_choice.findData(OTHER_MODEL))
    dialog.model_path.setText(str(model))
    dialog.threads.setValue(1)
    dialog.n_ctx.setValue(8192)
    dialog.bulk_workers.setValue(2)
    dialog.redis_url.setText("unix:///tmp/redis.sock")
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        press_ok(dialog)
    assert not dialog.isVisible()
    new = dialog.result_settings()
    assert new == dataclasses.replace(settings, llm_model_path=str(model), llm_threads=1, llm_n_ctx=8192,
                                      bulk_workers=2, redis_url="unix:///tmp/redis.sock")
    assert settings.bulk_workers == Settings().bulk_workers   # the original is untouched


@pytest.mark.parametrize("name, content", [("missing.gguf", None), ("model.bin", b"x")])
def test_an_invalid_gguf_path_keeps_the_dialog_open_with_a_message(qtbot, tmp_path, name, content):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    dialog = make_dialog(qtbot, Settings(), tmp_path)
    accepted = []
    dialog.accepted.connect(lambda: accepted.append(True))
    dialog.model_choice.setCurrentIndex(dialog.model_choice.findData(OTHER_MODEL))
    dialog.model_path.setText(str(path))
    press_ok(dialog)
    assert dialog.isVisible() and not accepted
    assert "model file" in dialog.error_text() and dialog.error_text().endswith(".")
    dialog.model_path.setText("")   # "Other" without a file is refused too
    press_ok(dialog)
    assert dialog.isVisible() and not accepted and "Choose a GGUF model file" in dialog.error_text()
    dialog.model_choice.setCurrentIndex(0)   # back to a bundled model
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        press_ok(dialog)
    assert dialog.result_settings().llm_model_path == ""


def test_the_picker_lists_the_installed_bundled_models_with_size_and_picks_one(qtbot, tmp_path):
    from repowiki_gui.core.models.catalog import DEFAULT_MODEL, installed_models

    dialog = make_dialog(qtbot, Settings(), tmp_path)
    ids = [dialog.model_choice.itemData(i) for i in range(dialog.model_choice.count())]
    assert ids == [m.id for m in installed_models()] + [OTHER_MODEL]
    assert DEFAULT_MODEL in ids and "smollm2-135m" in ids
    assert dialog.model_choice.currentData() == DEFAULT_MODEL and not dialog.model_path.isEnabled()
    assert " MB" in dialog.model_choice.itemText(0)
    dialog.model_choice.setCurrentIndex(ids.index("smollm2-135m"))
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        press_ok(dialog)
    new = dialog.result_settings()
    assert (new.llm_model, new.llm_model_path) == ("smollm2-135m", "")


def test_a_redis_url_with_another_scheme_is_refused(qtbot, tmp_path):
    dialog = make_dialog(qtbot, Settings(), tmp_path)
    dialog.redis_url.setText("http://localhost:6379")
    press_ok(dialog)
    assert dialog.isVisible()
    assert "redis://" in dialog.error_text()


def test_the_settings_action_saves_and_asks_the_bridge_to_apply(qtbot, fake_bridge, qsettings,
                                                                placeholder_chat, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    window = MainWindow(fake_bridge, qsettings, chat_factory=placeholder_chat, home=home)
    qtbot.addWidget(window)
    window.show()
    assert window.settings_action.shortcut().toString() == "Ctrl+,"
    window.settings_action.trigger()
    dialog = window.settings_dialog
    assert isinstance(dialog, SettingsDialog) and dialog.isVisible()
    dialog.bulk_workers.setValue(2)
    dialog.n_ctx.setValue(1024)
    press_ok(dialog)
    qtbot.waitUntil(lambda: bool(fake_bridge.calls))
    saved = json.loads((home / "settings.json").read_text())
    assert saved["bulk_workers"] == 2 and saved["llm_n_ctx"] == 1024
    assert Settings.load(home).bulk_workers == 2
    (name, payload), = fake_bridge.calls
    assert name == "applySettings"
    assert json.loads(payload)["bulk_workers"] == 2
    assert window.settings_dialog is None


def test_cancel_saves_nothing(qtbot, fake_bridge, qsettings, placeholder_chat, tmp_path):
    window = MainWindow(fake_bridge, qsettings, chat_factory=placeholder_chat, home=tmp_path)
    qtbot.addWidget(window)
    window.settings_action.trigger()
    window.settings_dialog.bulk_workers.setValue(4)
    window.settings_dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
    assert window.settings_dialog is None
    assert not (tmp_path / "settings.json").exists() and fake_bridge.calls == []




def bulk_workers(status: dict) -> int:
    return sum(1 for w in status.get("workers", []) if w.get("kind") == "bulk")


@pytest.mark.timeout(300)
def test_the_real_bridge_applies_new_settings_by_restarting_the_services(qtbot, real_bridge, fast_settings):
    bridge, thread = real_bridge
    # Emitted from the bridge's thread: record into lists and poll (see test_chat_e2e.py).
    ready, statuses = [], []
    bridge.servicesReady.connect(ready.append)
    bridge.servicesFailed.connect(ready.append)
    bridge.statusChanged.connect(statuses.append)
    thread.start()
    qtbot.waitUntil(lambda: bool(ready), timeout=120_000)
    assert isinstance(ready[0], dict), ready
    new = dataclasses.replace(fast_settings, bulk_workers=2)
    ready.clear()
    bridge.call("applySettings", new.to_json())
    qtbot.waitUntil(lambda: bool(ready), timeout=120_000)
    assert isinstance(ready[0], dict), ready
    assert bridge.settings == new
    statuses.clear()
    qtbot.waitUntil(lambda: any(bulk_workers(s) == 2 for s in statuses), timeout=60_000)

"""The Settings dialog: model, threads, context, bulk workers, external Redis, data dir."""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout,
                               QLabel, QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from ..core.models.catalog import installed_models
from ..settings import Settings
from .widgets import ErrorLabel

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


OTHER_MODEL = ""   # the picker's "Other GGUF file…" entry


def check_values(model_path: str, redis_url: str, other: bool = False) -> str | None:
    """One sentence saying what is wrong with the edited values, or None when they can be saved."""
    if other and not model_path:
        return "Choose a GGUF model file, or pick one of the bundled models."
    if model_path:
        path = Path(model_path).expanduser()
        if path.suffix.lower() != ".gguf":
            return f"The model file {path.name} is not a .gguf file."
        if not path.is_file():
            return f"The model file {path} does not exist."
    if redis_url and not redis_url.startswith(REDIS_SCHEMES):
        return "The Redis URL must start with redis://, rediss:// or unix://."
    return None


class SettingsDialog(QDialog):
    """Edits a copy of ``settings``; ``result_settings()`` gives the edited copy after OK."""

    def __init__(self, settings: Settings, home: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings = settings
        self.home = Path(home)
        why = Settings.describe()
        form = QFormLayout()
        self._add_model_rows(form, why)
        self._add_worker_rows(form, why)
        self._add_service_rows(form, why)
        self.error_label = ErrorLabel(self)
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self._file_dialog: QFileDialog | None = None

    def _add_model_rows(self, form: QFormLayout, why: dict[str, str]) -> None:
        """The bundled models this install has (size and the bench's figures), then "Other GGUF file…"."""
        self.model_choice = QComboBox(self)
        for model in installed_models():
            self.model_choice.addItem(model.describe(), model.id)
        self.model_choice.addItem("Other GGUF file…", OTHER_MODEL)
        self.model_choice.setToolTip(why["llm_model"])
        current = OTHER_MODEL if self.settings.llm_model_path else self.settings.llm_model
        index = self.model_choice.findData(current)
        self.model_choice.setCurrentIndex(index if index >= 0 else 0)
        self.model_choice.currentIndexChanged.connect(self._model_chosen)
        self.model_path = QLineEdit(self.settings.llm_model_path, self)
        self.model_path.setPlaceholderText("a .gguf file")
        self.model_path.setToolTip(why["llm_model_path"])
        self.browse_button = QPushButton("Browse…", self)
        self.browse_button.clicked.connect(self.browse_model)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model_path, 1)
        model_row.addWidget(self.browse_button)
        self._model_chosen()
        form.addRow("Language model:", self.model_choice)
        form.addRow("GGUF model file:", model_row)

    def _add_worker_rows(self, form: QFormLayout, why: dict[str, str]) -> None:
        """The model's threads and context, and how many bulk workers run."""
        self.threads = _spin_box(self, 1, os.cpu_count() or 1, self.settings.llm_threads, why["llm_threads"])
        self.n_ctx = _spin_box(self, 512, 32768, self.settings.llm_n_ctx, why["llm_n_ctx"])
        self.n_ctx.setSingleStep(512)
        self.bulk_workers = _spin_box(self, 0, 8, self.settings.bulk_workers, why["bulk_workers"])
        form.addRow("Model threads:", self.threads)
        form.addRow("Context size (tokens):", self.n_ctx)
        form.addRow("Bulk workers:", self.bulk_workers)

    def _add_service_rows(self, form: QFormLayout, why: dict[str, str]) -> None:
        """An external Redis, and the data dir (shown, not edited)."""
        self.redis_url = QLineEdit(self.settings.redis_url, self)
        self.redis_url.setEchoMode(QLineEdit.EchoMode.Password)   # a URL may carry a password
        self.redis_url.setPlaceholderText("empty: the bundled Redis")
        self.redis_url.setToolTip(why["redis_url"])
        self.data_dir = QLineEdit(str(self.home), self)
        self.data_dir.setReadOnly(True)
        data_note = QLabel("Set by --home or REPOWIKI_HOME when RepoWiki starts.", self)
        data_note.setEnabled(False)
        form.addRow("External Redis URL:", self.redis_url)
        form.addRow("Data dir:", self.data_dir)
        form.addRow("", data_note)

    def other_chosen(self) -> bool:
        return self.model_choice.currentData() == OTHER_MODEL

    @Slot()
    def _model_chosen(self) -> None:
        """The file row is for "Other GGUF file…" only."""
        for widget in (self.model_path, self.browse_button):
            widget.setEnabled(self.other_chosen())

    @Slot()
    def browse_model(self) -> None:
        start = self.model_path.text().strip()
        directory = str(Path(start).expanduser().parent) if start else str(Path.home())
        dialog = QFileDialog(self, "Choose a GGUF model", directory, "GGUF models (*.gguf);;All files (*)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.model_path.setText)
        self._file_dialog = dialog
        dialog.open()

    def error_text(self) -> str:
        return self.error_label.text() if self.error_label.isVisibleTo(self) else ""

    def accept(self) -> None:
        path = self.model_path.text().strip() if self.other_chosen() else ""
        problem = check_values(path, self.redis_url.text().strip(), self.other_chosen())
        if problem:
            self.error_label.setText(problem)
            self.error_label.show()
            return
        self.error_label.hide()
        super().accept()

    def result_settings(self) -> Settings:
        model = self.model_path.text().strip() if self.other_chosen() else ""
        return dataclasses.replace(
            self.settings,
            llm_model=self.settings.llm_model if self.other_chosen() else self.model_choice.currentData(),
            llm_model_path=str(Path(model).expanduser()) if model else "",
            llm_threads=self.threads.value(),
            llm_n_ctx=self.n_ctx.value(),
            bulk_workers=self.bulk_workers.value(),
            redis_url=self.redis_url.text().strip(),
        )


def _spin_box(parent: QWidget, low: int, high: int, value: int, tip: str) -> QSpinBox:
    box = QSpinBox(parent)
    box.setRange(low, high)
    box.setValue(value)
    box.setToolTip(tip)
    return box

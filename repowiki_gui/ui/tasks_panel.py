"""The tasks panel: every job with its progress, Cancel and Retry, queues and workers.

The panel folds away behind ``ActivityButton`` in the status bar ("2 jobs
running"), which toggles it and asks for it to open when a job fails.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QToolButton, QVBoxLayout, QWidget

from .pyside_fixes import emit
from .table_model import KeyedTableModel
from .widgets import PROGRESS_ROLE, icon, table_view

CANCELLABLE = ("queued", "deferred", "scheduled", "started")
ACTIVE = CANCELLABLE
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
SPIN_MS = 120
RETRYABLE = ("failed", "stopped", "canceled")


def fmt_duration(seconds) -> str:
    if seconds is None:
        return ""
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


class TaskModel(KeyedTableModel):
    """JobService.jobs rows: seed name, queue, state, progress, message, duration."""

    HEADERS = ("Task", "Queue", "State", "Progress", "Message", "Duration")
    TASK, QUEUE, STATE, PROGRESS, MESSAGE, DURATION = range(6)
    JOB_ID_ROLE = Qt.ItemDataRole.UserRole + 2

    def key(self, row: dict) -> str:
        return row["id"]

    @Slot(list)
    def set_jobs(self, jobs: list) -> None:
        self.set_rows(list(jobs))

    def cell(self, row: dict, column: int, role: int):
        prog = row.get("progress") or {}
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.TASK:
                return row.get("name") or "?"
            if column == self.QUEUE:
                return row.get("queue") or ""
            if column == self.STATE:
                return row.get("state") or ""
            if column == self.PROGRESS:
                return f"{prog['progress']:.0f}%" if "progress" in prog else ""
            if column == self.MESSAGE:
                return row.get("error") or prog.get("message") or ""
            if column == self.DURATION:
                return fmt_duration(row.get("duration_s"))
            return None
        if role == PROGRESS_ROLE and column == self.PROGRESS:
            return int(prog["progress"]) if "progress" in prog and row.get("state") == "started" else None
        if role == self.JOB_ID_ROLE:
            return row["id"]
        if role == Qt.ItemDataRole.ToolTipRole and column == self.MESSAGE:
            return row.get("error") or prog.get("message") or None
        return None


def describe_status(info: dict) -> str:
    """Queue lengths and workers with their current job, on one line."""
    queues = "  ".join(f"{name}: {q.get('queued', 0)} queued, {q.get('started', 0)} running"
                       for name, q in (info.get("queues") or {}).items())
    workers = "; ".join(f"{w.get('kind') or w['name']} {w.get('state', '?')}"
                        + (f" on {w['current_job'][:8]}" if w.get("current_job") else "")
                        for w in info.get("workers") or [])
    return f"Queues — {queues or 'none'}    Workers — {workers or 'none'}"


class TasksPanel(QWidget):
    """The job table; Cancel and Retry act on the selected row."""

    cancelRequested = Signal(str)
    retryRequested = Signal(str)

    def __init__(self, model: TaskModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.view = table_view(model, TaskModel.PROGRESS, TaskModel.MESSAGE, self)
        self.view.setColumnWidth(TaskModel.TASK, 240)
        self.cancel_button = QPushButton(icon("cancel"), "Cancel", self)
        self.retry_button = QPushButton(icon("retry"), "Retry", self)
        self.cancel_button.setToolTip("Cancel the selected queued or running job")
        self.retry_button.setToolTip("Run the selected failed or cancelled job again")
        self.cancel_button.clicked.connect(lambda: self._act(self.cancelRequested))
        self.retry_button.clicked.connect(lambda: self._act(self.retryRequested))
        self.status_label = QLabel("Queues — waiting for the services", self)
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status_label, 1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.retry_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        layout.addLayout(buttons)
        self.view.selectionModel().selectionChanged.connect(self._update_buttons)
        model.dataChanged.connect(self._update_buttons)
        model.modelReset.connect(self._update_buttons)
        self._update_buttons()

    def selected_job(self) -> dict | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def _update_buttons(self, *_args) -> None:
        job = self.selected_job()
        self.cancel_button.setEnabled(bool(job) and job.get("state") in CANCELLABLE)
        self.retry_button.setEnabled(bool(job) and job.get("state") in RETRYABLE and not job.get("expired"))

    def _act(self, signal) -> None:
        job = self.selected_job()
        if job:
            emit(signal, job["id"])

    @Slot(dict)
    def show_status(self, info: dict) -> None:
        self.status_label.setText(describe_status(info))


def activity_text(jobs: list) -> str:
    """What the status bar says of the jobs: how many run and wait, or that none does."""
    running = sum(1 for j in jobs if j.get("state") == "started")
    waiting = sum(1 for j in jobs if j.get("state") in ACTIVE and j.get("state") != "started")
    parts = []
    if running:
        parts.append(f"{running} job{'s' if running != 1 else ''} running")
    if waiting:
        parts.append(f"{waiting} waiting")
    return ", ".join(parts) or "No jobs running"


class ActivityButton(QToolButton):
    """The status bar's view of the jobs; checked while the tasks panel shows, a click toggles it.

    ``jobFailed`` fires for a job seen to fail while the window is open (failures already in the
    history when the window opens are not news).
    """

    jobFailed = Signal(str, str)   # (job id, its error)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setCheckable(True)
        self.setAutoRaise(True)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.setToolTip("Show or hide the tasks panel (Ctrl+J)")
        self._states: dict[str, str] | None = None   # job id -> state at the last poll; None before the first
        self._text = activity_text([])
        self._frame = 0
        self._spin = QTimer(self)
        self._spin.setInterval(SPIN_MS)
        self._spin.timeout.connect(self._turn)
        self.setText(self._text)

    def is_spinning(self) -> bool:
        return self._spin.isActive()

    @Slot(list)
    def set_jobs(self, jobs: list) -> None:
        self._text = activity_text(jobs)
        active = any(j.get("state") in ACTIVE for j in jobs)
        if active and not self._spin.isActive():
            self._spin.start()
        elif not active:
            self._spin.stop()
        self._show()
        before, self._states = self._states, {j["id"]: j.get("state") for j in jobs}
        if before is None:
            return
        for job in jobs:
            if job.get("state") == "failed" and before.get(job["id"]) != "failed":
                emit(self.jobFailed, job["id"], job.get("error") or "")

    def _turn(self) -> None:
        self._frame = (self._frame + 1) % len(SPINNER)
        self._show()

    def _show(self) -> None:
        self.setText(f"{SPINNER[self._frame]} {self._text}" if self._spin.isActive() else self._text)

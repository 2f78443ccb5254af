"""`repowiki gui --smoke ZIP`: the whole app once, end to end, then quit.

It opens the real window (``QT_QPA_PLATFORM=offscreen`` needs no display),
lets the real bridge start Redis and the workers, queues the ZIP through the
window as a drop would, asks one question through the chat panel, waits for
the streamed answer and quits; quitting stops every process it started.  The
exit code is 0 only if all of that happened within the time limit; otherwise
it is 1 and one line on stderr says which step failed.  The installers run it
on the built app (``installers/smoke.sh``), the tests on the installed one.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QApplication

from ..jobs.names import INDEX_ZIP as INDEX_TASK, TERMINAL_STATES as TERMINAL

SMOKE_QUESTION = "What does this code do?"
SMOKE_TIMEOUT_S = 300.0


class SmokeRun(QObject):
    """Drives one ``Gui`` through index → ask → answer; ``code`` is the exit code once it ends."""

    def __init__(self, gui, zip_path: Path, repo: str, question: str = SMOKE_QUESTION,
                 timeout_s: float = SMOKE_TIMEOUT_S):
        super().__init__()
        self.gui, self.window, self.bridge = gui, gui.window, gui.bridge
        self.zip_path, self.repo, self.question = Path(zip_path), repo, question
        self.timeout_s = timeout_s
        self.stage = "starting the services"
        self.code: int | None = None
        self.tokens = 0
        self._t0 = time.monotonic()
        self._old_jobs: set[str] | None = None
        self._index_job: str | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._timed_out)
        # Bound slots of an object in the UI thread: the bridge emits from its own threads.
        b = self.bridge
        b.servicesReady.connect(self._ready)
        b.servicesFailed.connect(self._fail)
        b.errorOccurred.connect(self._fail)
        b.jobsChanged.connect(self._jobs)
        b.reposChanged.connect(self._repos)
        b.answerToken.connect(self._token)
        b.answerDone.connect(self._done)
        b.answerFailed.connect(self._answer_failed)

    def start(self) -> None:
        self._timer.start(int(self.timeout_s * 1000))

    def _say(self, text: str) -> None:
        print(f"smoke [{time.monotonic() - self._t0:6.1f} s] {text}", flush=True)

    def _finish(self, code: int, message: str) -> None:
        if self.code is not None:
            return
        self.code = code
        self._timer.stop()
        if code:
            print(f"repowiki: smoke test failed while {self.stage}: {message}", file=sys.stderr, flush=True)
        else:
            self._say(message)
        QApplication.exit(code)

    @Slot()
    def _timed_out(self) -> None:
        self._finish(1, f"no progress within {self.timeout_s:.0f} s")

    @Slot(str)
    def _fail(self, message: str) -> None:
        self._finish(1, message)

    @Slot(dict)
    def _ready(self, status: dict) -> None:
        if not self.window.isVisible():
            self._finish(1, "the window is not shown")
            return
        workers = len(status.get("workers") or []) or len(getattr(self.bridge.manager, "workers", []))
        self._say(f"window open, services ready (redis {status['redis'].get('version')}, {workers} workers)")
        self.stage = "waiting for the job list"

    @Slot(list)
    def _jobs(self, rows: list) -> None:
        if self.code is not None or self.stage == "starting the services":
            return
        if self._old_jobs is None:
            # The bridge's first poll has run: every job listed now is older than ours.
            self._old_jobs = {r["id"] for r in rows}
            self.stage = f"indexing {self.zip_path.name}"
            if not self.window.queue_zips([self.zip_path]):
                self._finish(1, f"the window refused {self.zip_path}")
            return
        for row in rows:
            if row["name"] != INDEX_TASK or row["id"] in self._old_jobs or row.get("repo") != self.repo:
                continue
            if self._index_job is None:
                self._index_job = row["id"]
                self._say(f"index job {row['id'][:12]} {row['state']}")
            if row["id"] == self._index_job and row["state"] in TERMINAL and row["state"] != "finished":
                self._finish(1, f"the index job ended {row['state']}: {row.get('error') or 'no error given'}")
            elif row["id"] == self._index_job and row["state"] == "finished" and self.stage.startswith("indexing"):
                self._say(f"indexed {self.repo}")
                self.stage = "waiting for the repository list"

    @Slot(list)
    def _repos(self, repos: list) -> None:
        if self.stage != "waiting for the repository list" or self.repo not in [r["name"] for r in repos]:
            return
        self.stage = "asking"
        QTimer.singleShot(0, self._ask)   # after the chat panel has taken the same list

    @Slot()
    def _ask(self) -> None:
        chat = self.window.chat
        if chat.current_repo() != self.repo:
            chat.repo_combo.setCurrentText(self.repo)
        chat.question.setText(self.question)
        chat.ask()
        if not chat.is_streaming():
            self._finish(1, f"the chat panel did not send the question (repository {chat.current_repo()!r})")
            return
        self._say(f"asked: {self.question}")
        self.stage = "waiting for the answer"

    @Slot(str, str)
    def _token(self, _job: str, _delta: str) -> None:
        if self.tokens == 0:
            self._say("first token")
        self.tokens += 1

    @Slot(str, dict)
    def _done(self, _job: str, result: dict) -> None:
        answer, refs = (result.get("answer") or "").strip(), result.get("references") or []
        if not answer or not self.tokens:
            self._finish(1, "the answer was empty")
        elif not refs:
            self._finish(1, "the answer came without references (was the ZIP indexed?)")
        else:
            first = refs[0]
            self._say(f"answer: {self.tokens} deltas, {len(answer)} characters, {len(refs)} references "
                      f"(first {first['path']}:{first['start_line']}-{first['end_line']})")
            self._finish(0, "ok")

    @Slot(str, str)
    def _answer_failed(self, _job: str, message: str) -> None:
        self._finish(1, message)

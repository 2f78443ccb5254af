"""The chat panel: pick a repository, ask, watch the answer stream, follow its citations.

A question may go to several repositories: the chosen one and those checked under "Also ask"
(shown once two are indexed); the bridge gets them as ``a,b``, as the command line's REPO.

Before any repository is indexed, the transcript's place holds how to begin (an EmptyState).
"""
from __future__ import annotations

import uuid

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton,
                               QSplitter, QStackedWidget, QVBoxLayout, QWidget)

from repowiki_gui.ui.empty_state import EmptyState
from repowiki_gui.ui.pyside_fixes import emit
from repowiki_gui.ui.question_box import QuestionBox
from repowiki_gui.ui.source_view import SourceView
from repowiki_gui.ui.answer_links import reference_label
from repowiki_gui.ui.transcript import Transcript
from repowiki_gui.ui.widgets import refill_repo_combo

_CONVERSATION_ID = Qt.ItemDataRole.UserRole
_CONVERSATION_REPOS = Qt.ItemDataRole.UserRole + 1


def answer_markdown(answer: str, references: list[dict]) -> str:
    """An answer and its numbered sources as Markdown, for the clipboard."""
    lines = [answer.strip()]
    if references:
        lines += ["", "Sources:", ""]
        lines += [f"{n}. `{reference_label(ref)}`" for n, ref in enumerate(references, 1)]
    return "\n".join(lines) + "\n"


class ChatPanel(QWidget):
    """Repository chooser, conversation list, transcript, question box and (by default) a SourceView.

    Talks to the service only through ``bridge``: its signals, and ``bridge.call(name, *args)``,
    which runs the request in the bridge's thread and returns at once.
    """

    citationActivated = Signal(str, str, int, int)  # (repo, path, start_line, end_line)
    wikiPageRequested = Signal(str, str, int)       # (repo, wiki page, line): a citation of the wiki
    openZipRequested = Signal()                     # the empty state's button: the File menu's Open ZIP

    def __init__(self, bridge, parent=None, source_view: SourceView | None = None):
        super().__init__(parent)
        self._bridge = bridge
        self._conversation_id = ""
        self._request_id: str | None = None  # the question in flight, until answerDone/answerFailed
        self._answer_job: str | None = None
        self._stop_requested = False
        self._last_answer: tuple[str, list[dict]] | None = None

        self.repo_combo = QComboBox(self)
        self.repo_combo.setPlaceholderText(self.tr("No repository indexed yet"))
        self.also_label = QLabel(self.tr("Also ask"), self)
        self.also_repos = QListWidget(self)   # the other repositories, checkable: one question, several
        self.also_repos.setObjectName("alsoRepos")
        self.also_repos.setToolTip(self.tr("Check other repositories to ask them the same question; "
                                           "each source names its repository"))
        self.also_repos.setMaximumHeight(90)
        self.new_button = QPushButton(self.tr("New conversation"), self)
        self.conversations = QListWidget(self)
        self.transcript = Transcript(self)
        self.transcript.setPlaceholderText(self.tr("Ask a question below: the answer cites the files and lines "
                                                   "it read, and each source opens or unfolds with a click."))
        self.empty_state = EmptyState(self)
        self.stack = QStackedWidget(self)   # the empty state until a repository is indexed, then the transcript
        self.stack.addWidget(self.empty_state)
        self.stack.addWidget(self.transcript)
        self.reading_label = QLabel(self)  # "Reading the sources: 40%" until the answer's first word
        self.reading_label.setObjectName("readingLabel")
        self.reading_label.hide()
        self.question = QuestionBox(self)
        self.question.setPlaceholderText(self.tr("Ask a question about the code… (Enter sends, Shift+Enter "
                                                 "starts a new line, Up recalls an earlier question)"))
        self.ask_button = QPushButton(self.tr("Ask"), self)
        self.ask_button.setDefault(True)
        self.ask_button.setToolTip(self.tr("Send the question (Enter)"))
        self.stop_button = QPushButton(self.tr("Stop"), self)
        self.stop_button.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        self.stop_button.setToolTip(self.tr("Stop the answer; what is written stays (Esc)"))
        self.copy_button = QPushButton(self.tr("Copy as Markdown"), self)
        self.copy_button.setToolTip(self.tr("Copy the last answer and its sources as Markdown"))
        self.source_view = source_view if source_view is not None else SourceView(bridge, self)
        self._layout(owns_source=source_view is None)

        self.repo_combo.currentTextChanged.connect(self._on_repo_selected)
        self.new_button.clicked.connect(self.new_conversation)
        self.conversations.itemClicked.connect(self._on_conversation_chosen)
        self.conversations.itemActivated.connect(self._on_conversation_chosen)
        self.question.submitted.connect(self.ask)
        self.empty_state.openRequested.connect(self._open_zip)
        self.ask_button.clicked.connect(self.ask)
        self.stop_button.clicked.connect(self.stop)
        self.copy_button.clicked.connect(self.copy_markdown)
        self.transcript.referenceActivated.connect(self._on_reference)
        self.transcript.sourceTextNeeded.connect(self._read_source)
        bridge.sourceLoaded.connect(self.transcript.source_text_loaded)
        bridge.sourceFailed.connect(self.transcript.source_text_failed)
        bridge.reposChanged.connect(self._on_repos)
        bridge.conversationsChanged.connect(self._on_conversations)
        bridge.conversationLoaded.connect(self._on_conversation_loaded)
        bridge.answerStarted.connect(self._on_started)
        bridge.answerToken.connect(self._on_token)
        bridge.answerSources.connect(self._on_sources)
        bridge.answerReading.connect(self._on_reading)
        bridge.answerDone.connect(self._on_done)
        bridge.answerFailed.connect(self._on_failed)
        self._refill_also([])
        self._update_buttons()

    def _layout(self, owns_source: bool) -> None:
        side = QWidget(self)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(QLabel(self.tr("Repository"), side))
        side_layout.addWidget(self.repo_combo)
        side_layout.addWidget(self.also_label)
        side_layout.addWidget(self.also_repos)
        side_layout.addWidget(self.new_button)
        side_layout.addWidget(self.conversations)
        chat = QWidget(self)
        chat_layout = QVBoxLayout(chat)
        chat_layout.setContentsMargins(0, 0, 0, 0)
        chat_layout.addWidget(self.stack)
        chat_layout.addWidget(self.reading_label)
        row = QHBoxLayout()
        row.addWidget(self.question, 1)
        buttons = QVBoxLayout()
        for w in (self.ask_button, self.stop_button, self.copy_button):
            buttons.addWidget(w)
        buttons.addStretch(1)
        row.addLayout(buttons)
        chat_layout.addLayout(row)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("chatSplitter")  # so the main window can save its sizes
        self.splitter.addWidget(side)
        self.splitter.addWidget(chat)
        if owns_source:
            self.splitter.addWidget(self.source_view)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

    # --- state -------------------------------------------------------------------
    def current_repo(self) -> str:
        """The selected repository name, or ""."""
        return self.repo_combo.currentText()

    def current_repos(self) -> list[str]:
        """The repositories the next question goes to: the selected one, then those checked under "Also ask"."""
        repo = self.current_repo()
        if not repo:
            return []
        checked = [self.also_repos.item(i).text() for i in range(self.also_repos.count())
                   if self.also_repos.item(i).checkState() == Qt.CheckState.Checked]
        return [repo] + [r for r in checked if r != repo]

    def set_also_repos(self, names: list[str]) -> None:
        """Check exactly ``names`` under "Also ask" (a conversation asked of several goes on with them)."""
        for i in range(self.also_repos.count()):
            item = self.also_repos.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.text() in names else Qt.CheckState.Unchecked)

    def conversation_id(self) -> str:
        """The conversation the next question continues ("" = a new one)."""
        return self._conversation_id

    def is_streaming(self) -> bool:
        """True while a question waits for its answer."""
        return self._request_id is not None

    def _update_buttons(self) -> None:
        busy = self.is_streaming()
        self.stack.setCurrentWidget(self.transcript if self.repo_combo.count() else self.empty_state)
        self.ask_button.setEnabled(not busy and bool(self.current_repo()))
        self.stop_button.setEnabled(busy and not self._stop_requested)
        self.copy_button.setEnabled(self._last_answer is not None)
        self.new_button.setEnabled(not busy)
        self.conversations.setEnabled(not busy)
        self.repo_combo.setEnabled(not busy)
        self.also_repos.setEnabled(not busy)

    # --- repositories and conversations --------------------------------------------
    def _on_repos(self, repos: list) -> None:
        names = [r["name"] for r in repos]
        if refill_repo_combo(self.repo_combo, names):
            self._on_repo_selected(self.current_repo())
        self._refill_also(names)
        self._update_buttons()

    def _refill_also(self, names: list[str]) -> None:
        """Every repository but the selected one, checkable; the checks of those still indexed stay."""
        checked = set(self.current_repos()[1:])
        self.also_repos.clear()
        for name in names:
            if name != self.current_repo():
                item = QListWidgetItem(name, self.also_repos)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if name in checked else Qt.CheckState.Unchecked)
        several = len(names) > 1
        self.also_label.setVisible(several)
        self.also_repos.setVisible(several)

    def _on_repo_selected(self, repo: str) -> None:
        self._refill_also([self.repo_combo.itemText(i) for i in range(self.repo_combo.count())])
        self.conversations.clear()
        self.new_conversation()
        if repo:
            self._bridge.call("listConversations", repo)

    def _on_conversations(self, repo: str, conversations: list) -> None:
        if repo != self.current_repo():
            return
        self.conversations.clear()
        for conv in conversations:
            item = QListWidgetItem(conv["title"] or self.tr("(untitled)"))
            item.setData(_CONVERSATION_ID, conv["id"])
            item.setData(_CONVERSATION_REPOS, conv.get("repo") or "")
            item.setToolTip(conv.get("updated_at") or "")
            self.conversations.addItem(item)
            if conv["id"] == self._conversation_id:
                item.setSelected(True)

    def new_conversation(self) -> None:
        """Start afresh: the next question opens a new conversation."""
        self._conversation_id = ""
        self._last_answer = None
        self.conversations.clearSelection()
        self.transcript.clear_turns()
        self._update_buttons()

    def _on_conversation_chosen(self, item: QListWidgetItem) -> None:
        conv_id = item.data(_CONVERSATION_ID)
        if self.is_streaming() or conv_id == self._conversation_id:
            return
        self._conversation_id = conv_id
        self._last_answer = None
        self.set_also_repos((item.data(_CONVERSATION_REPOS) or "").split(","))  # follow-ups ask the same ones
        self.transcript.clear_turns()
        self._bridge.call("loadConversation", conv_id)
        self._update_buttons()

    def _on_conversation_loaded(self, conv_id: str, turns: list) -> None:
        if conv_id != self._conversation_id or self.is_streaming():
            return
        self.transcript.clear_turns()
        for turn in turns:
            self.question.remember(turn["question"])
            self.transcript.begin_turn(self.current_repo(), turn["question"])   # each source names its own repo
            self.transcript.finish_answer(turn["answer"], turn["references"])
            self._last_answer = (turn["answer"], turn["references"])
        self._update_buttons()

    # --- asking --------------------------------------------------------------------
    def ask(self) -> None:
        """Send the question box's text to the bridge and open a streaming answer."""
        question, repo = self.question.text().strip(), ",".join(self.current_repos())
        if not question or not repo or self.is_streaming():
            return
        self._request_id, self._answer_job, self._stop_requested = uuid.uuid4().hex, None, False
        self.question.remember(question)
        self.question.clear()
        self.transcript.begin_turn(self.current_repo(), question)   # the sources name their repositories
        self._update_buttons()
        self._bridge.call("ask", self._request_id, repo, question, self._conversation_id)

    def stop(self) -> None:
        """Ask the service to stop the answer; what streamed so far stays."""
        if not self.is_streaming() or self._stop_requested:
            return
        self._stop_requested = True
        if self._answer_job:  # otherwise answerStarted sends the stop once the job id is known
            self._bridge.call("stopAnswer", self._answer_job)
        self._update_buttons()

    def _on_started(self, request_id: str, answer_job: str) -> None:
        if request_id != self._request_id:
            return
        self._answer_job = answer_job
        if self._stop_requested:
            self._bridge.call("stopAnswer", answer_job)

    def _on_sources(self, answer_job: str, references: list) -> None:
        if answer_job == self._answer_job:
            self.transcript.show_sources(references)

    def _on_reading(self, answer_job: str, done: int, total: int) -> None:
        if answer_job == self._answer_job and total > 0 and done < total:
            self.reading_label.setText(self.tr("Reading the sources: %1%").replace("%1", str(100 * done // total)))
            self.reading_label.show()
        else:
            self.reading_label.hide()

    def _on_token(self, answer_job: str, delta: str) -> None:
        if answer_job == self._answer_job:
            self.reading_label.hide()
            self.transcript.append_stream(delta)

    def _on_done(self, answer_job: str, done: dict) -> None:
        if answer_job != self._answer_job or not self.is_streaming():
            return
        references = done.get("references") or []
        self.reading_label.hide()
        self.transcript.finish_answer(done["answer"], references, bool(done.get("stopped")))
        self._last_answer = (done["answer"], references)
        self._conversation_id = done.get("conversation") or self._conversation_id
        self._request_id = self._answer_job = None
        self._update_buttons()
        self._bridge.call("listConversations", self.current_repo())  # the new or updated conversation appears

    def _on_failed(self, job_or_request: str, message: str) -> None:
        if not self.is_streaming() or job_or_request not in (self._request_id, self._answer_job):
            return
        self.reading_label.hide()
        self.transcript.show_error(message)
        self._request_id = self._answer_job = None
        self._update_buttons()

    # --- citations and copying -------------------------------------------------------
    def _on_reference(self, repo: str, ref: dict) -> None:
        start, end = int(ref["start_line"]), int(ref["end_line"])
        if ref.get("kind") == "wiki":   # a wiki page, not a source file: the Wiki tab shows it
            emit(self.wikiPageRequested, repo, ref["path"], start)
            return
        self.citationActivated.emit(repo, ref["path"], start, end)
        self.source_view.show_range(repo, ref["path"], start, end)

    def _read_source(self, repo: str, path: str) -> None:
        self._bridge.call("readSource", repo, path)   # the bridge's thread reads it; sourceLoaded answers

    def _open_zip(self) -> None:
        emit(self.openZipRequested)

    def copy_markdown(self) -> None:
        """Put the last answer and its sources on the clipboard as Markdown."""
        if self._last_answer is not None:
            QGuiApplication.clipboard().setText(answer_markdown(*self._last_answer))

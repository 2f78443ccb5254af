"""ServiceBridge: the only place the window touches Redis, LanceDB or SQLite.

The bridge is a QObject moved to its own QThread (``app.py`` does that).  Every
service call runs in that thread; results come back to the widgets as signals,
which Qt queues to the UI thread.  Answer streams are followed in short-lived
Python threads so a long answer never delays a status poll or an enqueue.

Calling the bridge from the UI thread -- never call a slot directly (it would
run in the caller's thread and block the window).  Use::

    bridge.call("indexZip", path, name)      # any request slot by name

``call`` emits ``request(name, args)``; the connection to ``_dispatch`` is
queued because the bridge lives in another thread, so ``call`` returns at once.
``stop()`` is the one exception: called from the UI thread it blocks (through
a BlockingQueuedConnection) until the services have stopped, which is what
quitting needs.

Receiving: connect the bridge's signals to bound slots of QObjects that live in
the UI thread (``signal.connect(widget.method)``), never to a lambda: a lambda
has no receiver thread, so Qt would call it directly in the bridge's thread.
"""
from __future__ import annotations

import json
import logging
import posixpath
import shutil
import threading
from pathlib import Path

import redis
from PySide6.QtCore import QMetaObject, QObject, Qt, QThread, QTimer, Signal, Slot

from ..core.datadir import app_db, lancedb_dir, wiki_dir
from .pyside_fixes import emit
from ..core.errors import RepoWikiError
from ..jobs.names import GENERATE_WIKI as WIKI_TASK, INDEX_ZIP as INDEX_TASK, TERMINAL_STATES as TERMINAL
from ..settings import Settings

log = logging.getLogger(__name__)

STATUS_INTERVAL_MS = 1000
JOBS_INTERVAL_MS = 500
REQUESTS = frozenset({"start", "indexZip", "removeRepo", "reindexRepo", "cancelJob", "retryJob", "ask",
                      "stopAnswer", "listConversations", "loadConversation", "readSource", "applySettings",
                      "generateWiki", "exportWiki", "loadWiki", "loadWikiPage"})


def repo_of_index_args(args: str) -> str | None:
    """The repository an ``indexing.index_zip`` history row is about (its args summary)."""
    from ..core.index.repositories import default_repo_name

    try:
        values = json.loads(f"[{args}]")
    except (json.JSONDecodeError, TypeError):
        return None  # a summary cut short: the UI shows the job without a repository
    if len(values) >= 2 and isinstance(values[1], str) and values[1]:
        return values[1]
    if values and isinstance(values[0], str):
        return default_repo_name(Path(values[0]))
    return None


def repo_of_wiki_args(args: str) -> str | None:
    """The repository a ``specs_v2.generate_specs_with_index`` history row is about (its first argument)."""
    try:
        values = json.loads(f"[{args}]")
    except (json.JSONDecodeError, TypeError):
        return None
    return values[0] if values and isinstance(values[0], str) and values[0] else None


class BridgeSignals(QObject):
    """What the window hears from the services (ServiceBridge), and what a test stand-in must offer too."""

    servicesReady = Signal(dict)
    servicesFailed = Signal(str)
    modelProgress = Signal(int, int, str)      # (bytes done, bytes in all, what): assembling the bundled model
    statusChanged = Signal(dict)
    jobsChanged = Signal(list)
    reposChanged = Signal(list)
    errorOccurred = Signal(str)
    answerStarted = Signal(str, str)
    answerToken = Signal(str, str)
    answerSources = Signal(str, list)          # (answer job, references in the prompt): before the answer
    answerReading = Signal(str, int, int)      # (answer job, prompt tokens read, of): the wait for the answer
    answerDone = Signal(str, dict)
    answerFailed = Signal(str, str)
    conversationsChanged = Signal(str, list)
    conversationLoaded = Signal(str, list)
    sourceLoaded = Signal(str, str, str)
    sourceFailed = Signal(str, str, str)       # (repo, path, why): shown in the source view itself
    wikiLoaded = Signal(str, dict)             # (repo, manifest of wiki.json; {} when there is no wiki)
    wikiPageLoaded = Signal(str, str, str)     # (repo, docs page, HTML rendered in the bridge thread)
    wikiPageFailed = Signal(str, str, str)     # (repo, docs page, why)
    wikiChanged = Signal(str)                  # a wiki job of that repository ended: reload its wiki
    request = Signal(str, object)   # (slot name, args tuple): see the module docstring


class ServiceBridge(BridgeSignals):
    def __init__(self, home: Path, redis_url: str | None = None, settings: Settings | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.home = Path(home)
        self.redis_url = redis_url
        self.settings = settings
        self.manager = None
        self.service = None
        self._store = None
        self._status_timer: QTimer | None = None
        self._jobs_timer: QTimer | None = None
        self._index_states: dict[str, str] = {}
        self._wiki_states: dict[str, str] = {}    # wiki job id -> last state seen
        self._active_index: dict[str, str] = {}   # repo -> state of its queued/started index job
        self._followers: dict[str, threading.Thread] = {}
        self._stopping = threading.Event()
        self.request.connect(self._dispatch)

    # --- calling from the UI thread ------------------------------------------
    def call(self, name: str, *args) -> None:
        """Run the request slot ``name`` in the bridge thread; returns at once."""
        if name not in REQUESTS:
            raise ValueError(f"not a bridge request: {name}")
        emit(self.request, name, args)

    @Slot(str, object)
    def _dispatch(self, name: str, args) -> None:
        getattr(self, name)(*args)

    def _guard(self, func, *args):
        """Run one service call; a user error or a lost Redis becomes errorOccurred."""
        try:
            return func(*args)
        except RepoWikiError as exc:
            emit(self.errorOccurred, str(exc))
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            emit(self.errorOccurred, f"The job service cannot be reached: {exc}")
        return None

    # --- lifecycle ------------------------------------------------------------
    @Slot()
    def start(self) -> None:
        from ..jobs.manager import ServiceManager
        from ..jobs.service import JobService

        if self.manager is not None:
            return
        self._prepare_model()
        try:
            manager = ServiceManager(self.home, self.settings, redis_url=self.redis_url)
            self.manager = manager.start(workers=True)
            self.service = JobService(manager.connection(), manager.settings, manager.home)
            status = manager.status()
        except (RepoWikiError, redis.RedisError, OSError) as exc:
            self.manager = None
            emit(self.servicesFailed, f"The background services could not start: {exc}")
            return
        emit(self.servicesReady, status)
        self._status_timer = QTimer(self)
        self._status_timer.timeout.connect(self._poll_status)
        self._status_timer.start(STATUS_INTERVAL_MS)
        self._jobs_timer = QTimer(self)
        self._jobs_timer.timeout.connect(self._poll_jobs)
        self._jobs_timer.start(JOBS_INTERVAL_MS)
        self._emit_repos()
        self._poll_status()
        self._poll_jobs()

    def _prepare_model(self) -> None:
        """Assemble the settings' bundled model here (first run only), so no worker waits on it unseen.

        A missing or damaged part is reported and the services start anyway:
        search and indexing work without the model.
        """
        from ..core.models.catalog import resolve
        from ..settings import Settings

        try:
            settings = self.settings or Settings.load(self.home)
            resolve(settings.llm_model, settings.llm_model_path,
                    lambda done, total, message: emit(self.modelProgress, done, total, message),
                    self._stopping.is_set)
        except (RepoWikiError, OSError) as exc:
            emit(self.errorOccurred, str(exc))

    @Slot()
    def stop(self) -> None:
        """Stop polling, end the answer streams and stop the services this bridge started."""
        if QThread.currentThread() != self.thread() and self.thread().isRunning():
            QMetaObject.invokeMethod(self, "stop", Qt.BlockingQueuedConnection)
            return
        self._stopping.set()
        for timer in (self._status_timer, self._jobs_timer):
            if timer is not None:
                timer.stop()
        if self.manager is None:
            return
        for answer_id in list(self._followers):
            self._guard(self.service.cancel, answer_id)
        for thread in list(self._followers.values()):
            thread.join(timeout=10)
        self.manager.stop()
        self.manager = self.service = None

    @Slot(str)
    def applySettings(self, settings_json: str) -> None:
        """Restart the services with new settings (the JSON of ``Settings.to_json``)."""
        data = json.loads(settings_json)
        if "retry_intervals_s" in data:
            data["retry_intervals_s"] = tuple(int(x) for x in data["retry_intervals_s"])
        try:
            settings = Settings(**data)
        except TypeError as exc:
            emit(self.servicesFailed, f"The new settings are not valid: {exc}.")
            return
        self.stop()
        for timer in (self._status_timer, self._jobs_timer):
            if timer is not None:
                timer.deleteLater()
        self._status_timer = self._jobs_timer = None
        self._stopping.clear()
        self.settings = settings
        self.start()

    # --- polls ------------------------------------------------------------------
    @Slot()
    def _poll_status(self) -> None:
        if self.manager is None:
            return
        try:
            info = self.manager.status()
            if info["redis"].get("running"):
                info.update(self.service.monitor())
        except (redis.RedisError, OSError) as exc:
            info = {"redis": {"running": False, "error": str(exc)}}
        info.setdefault("workers", [])
        info.setdefault("queues", {})
        emit(self.statusChanged, info)

    @Slot()
    def _poll_jobs(self) -> None:
        if self.service is None:
            return
        try:
            rows = self.service.jobs(50)
            args = {r["job_id"]: r["args"] for r in self.service.history.recent(50)}
        except (redis.RedisError, OSError) as exc:
            log.warning("jobs poll failed: %s", exc)
            return
        ended = False
        active: dict[str, str] = {}
        wikis_ended: list[str] = []
        for row in rows:
            if row["name"] == WIKI_TASK:
                row["repo"] = repo_of_wiki_args(args.get(row["id"]) or "")
                before = self._wiki_states.get(row["id"])
                if row["state"] in TERMINAL and before is not None and before not in TERMINAL and row["repo"]:
                    wikis_ended.append(row["repo"])
                self._wiki_states[row["id"]] = row["state"]
                continue
            if row["name"] != INDEX_TASK:
                continue
            row["repo"] = repo_of_index_args(args.get(row["id"]) or "")
            before = self._index_states.get(row["id"])
            if row["state"] in TERMINAL and before is not None and before not in TERMINAL:
                ended = True
            self._index_states[row["id"]] = row["state"]
            if row["repo"] and row["state"] not in TERMINAL:
                active.setdefault(row["repo"], row["state"])
        self._active_index = active
        emit(self.jobsChanged, rows)
        if ended:
            self._emit_repos()
        for repo in dict.fromkeys(wikis_ended):
            emit(self.wikiChanged, repo)

    def _emit_repos(self) -> None:
        from ..core.index.repositories import RepoRegistry

        repos = [r.to_dict() for r in RepoRegistry(app_db(self.home)).all()]
        emit(self.reposChanged, repos)

    # --- repositories -----------------------------------------------------------
    @Slot(str, str)
    def indexZip(self, path: str, name: str) -> None:
        from ..core.index.repositories import check_repo_name

        def run():
            self.service.enqueue(INDEX_TASK, str(Path(path).resolve()), check_repo_name(name))
            self._poll_jobs()
        self._when_ready(run)

    @Slot(str)
    def reindexRepo(self, name: str) -> None:
        from ..core.errors import UserError
        from ..core.index.repositories import RepoRegistry

        def run():
            repo = RepoRegistry(app_db(self.home)).get(name)
            if repo is None:
                raise UserError(f"There is no repository named {name}.")
            if not Path(repo.zip_path).is_file():
                raise UserError(f"The ZIP {repo.zip_path} of {name} is gone; drop it again to re-index.")
            self.service.enqueue(INDEX_TASK, repo.zip_path, name)
            self._poll_jobs()
        self._when_ready(run)

    @Slot(str)
    def removeRepo(self, name: str) -> None:
        from ..core.errors import UserError
        from ..core.index.repositories import RepoRegistry
        from ..core.index.sections import SectionStore

        def run():
            if name in self._active_index:
                raise UserError(f"{name} is being indexed; cancel that job before removing it.")
            store = self._chunk_store()
            store.drop_repo(name)
            SectionStore(lancedb_dir(self.home), store.dim).drop_repo(name)
            shutil.rmtree(wiki_dir(self.home, name), ignore_errors=True)
            RepoRegistry(app_db(self.home)).remove(name)
            self._emit_repos()
        self._when_ready(run)

    def _chunk_store(self):
        from ..core.index.store import ChunkStore
        from ..core.models.embedder import DIM

        if self._store is None:
            self._store = ChunkStore(lancedb_dir(self.home), DIM)
        return self._store

    def _when_ready(self, func) -> None:
        if self.service is None:
            emit(self.errorOccurred, "The background services are not running.")
            return
        self._guard(func)

    # --- jobs ---------------------------------------------------------------------
    @Slot(str)
    def cancelJob(self, job_id: str) -> None:
        self._when_ready(lambda: (self.service.cancel(job_id), self._poll_jobs()))

    @Slot(str)
    def retryJob(self, job_id: str) -> None:
        self._when_ready(lambda: (self.service.requeue(job_id), self._poll_jobs()))

    # --- questions ------------------------------------------------------------------
    @Slot(str, str, str, str)
    def ask(self, request_id: str, repo: str, question: str, conversation_id: str) -> None:
        from ..core.qa.conversations import Conversations

        if self.service is None:
            emit(self.answerFailed, request_id, "The background services are not running.")
            return
        try:
            conversations = Conversations(app_db(self.home))
            conv_id = conversation_id or conversations.create(repo, question)
            retrieval_id, answer_id = self.service.ask(repo, question, self.manager.settings.retrieval_k, conv_id)
        except RepoWikiError as exc:
            emit(self.answerFailed, request_id, str(exc))
            return
        except redis.RedisError as exc:
            emit(self.answerFailed, request_id, f"The job service cannot be reached: {exc}")
            return
        emit(self.answerStarted, request_id, answer_id)
        if not conversation_id:
            emit(self.conversationsChanged, repo, conversations.list(repo))
        thread = threading.Thread(target=self._follow, args=(answer_id, retrieval_id, repo, conv_id),
                                  name=f"answer-{answer_id[:8]}", daemon=True)
        self._followers[answer_id] = thread
        thread.start()

    def _follow(self, answer_id: str, retrieval_id: str, repo: str, conv_id: str) -> None:
        """Runs in its own thread: signals are thread-safe and queued to the receivers."""
        from ..core.qa.conversations import Conversations

        service = self.service
        try:
            done = service.follow_answer(
                answer_id, retrieval_id, lambda text: emit(self.answerToken, answer_id, text),
                on_sources=lambda refs: emit(self.answerSources, answer_id, refs),
                on_reading=lambda done, total: emit(self.answerReading, answer_id, done, total))
            emit(self.answerDone, answer_id, {"answer": done.get("answer", ""),
                                             "references": done.get("references", []),
                                             "stopped": bool(done.get("stopped")), "conversation": conv_id})
            emit(self.conversationsChanged, repo, Conversations(app_db(self.home)).list(repo))
        except RepoWikiError as exc:
            emit(self.answerFailed, answer_id, str(exc))
        except (redis.RedisError, OSError) as exc:
            message = "Stopped: the services were shut down." if self._stopping.is_set() else str(exc)
            emit(self.answerFailed, answer_id, message)
        finally:
            self._followers.pop(answer_id, None)

    @Slot(str)
    def stopAnswer(self, answer_id: str) -> None:
        self._when_ready(lambda: self.service.cancel(answer_id))

    @Slot(str)
    def listConversations(self, repo: str) -> None:
        from ..core.qa.conversations import Conversations

        self._guard(lambda: emit(self.conversationsChanged, repo, Conversations(app_db(self.home)).list(repo)))

    @Slot(str)
    def loadConversation(self, conversation_id: str) -> None:
        from ..core.qa.conversations import Conversations

        def run():
            conversations = Conversations(app_db(self.home))
            conversations.get(conversation_id)   # a clear error for an unknown id
            emit(self.conversationLoaded, conversation_id, conversations.turns(conversation_id))
        self._guard(run)

    @Slot(str, str)
    def readSource(self, repo: str, path: str) -> None:
        def run():
            text = self._chunk_store().file_text(repo, path)
            if text is None:
                emit(self.sourceFailed, repo, path, f"{path} is not in the index of {repo}.")
                return
            emit(self.sourceLoaded, repo, path, text)
        self._guard(run)

    # --- wiki -------------------------------------------------------------------------
    @Slot(str, list)
    def generateWiki(self, repo: str, spec_ids: list) -> None:
        """Queue the wiki job for ``repo`` with these spec types (all of them when empty)."""
        from ..core.wiki.folder import SPEC_TYPES

        def run():
            self.service.enqueue(WIKI_TASK, repo, list(spec_ids) or list(SPEC_TYPES), None)
            self._poll_jobs()
        self._when_ready(run)

    @Slot(str, str)
    def exportWiki(self, repo: str, out_dir: str) -> None:
        """Queue the wiki job with the spec types of the wiki on disk (all when none) and an export folder."""
        from ..core.wiki.folder import SPEC_TYPES, load_manifest

        def run():
            specs = (load_manifest(wiki_dir(self.home, repo)) or {}).get("specs") or list(SPEC_TYPES)
            self.service.enqueue(WIKI_TASK, repo, list(specs), str(Path(out_dir).resolve()))
            self._poll_jobs()
        self._when_ready(run)

    @Slot(str)
    def loadWiki(self, repo: str) -> None:
        from ..core.wiki.folder import load_manifest

        manifest = load_manifest(wiki_dir(self.home, repo))
        emit(self.wikiLoaded, repo, manifest if isinstance(manifest, dict) else {})

    @Slot(str, str)
    def loadWikiPage(self, repo: str, page: str) -> None:
        """Read and render one docs page here, so a big page never stalls the window."""
        from ..core.wiki.folder import DOCS
        from .markdown_html import render_markdown

        clean = posixpath.normpath(page)
        docs = wiki_dir(self.home, repo) / DOCS
        if clean.startswith(("..", "/")) or not clean.endswith(".md"):
            emit(self.wikiPageFailed, repo, page, f"{page} is not a page of the wiki of {repo}.")
            return
        try:
            text = (docs / clean).read_text(encoding="utf-8", errors="replace")
        except OSError:
            emit(self.wikiPageFailed, repo, page, f"{page} is not in the wiki of {repo}; generate the wiki again.")
            return
        emit(self.wikiPageLoaded, repo, page, render_markdown(text))

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
import threading
from pathlib import Path

import redis
from PySide6.QtCore import QMetaObject, QObject, Qt, QThread, QTimer, Slot

from ...core.errors import RepoWikiError
from ...jobs.names import GENERATE_WIKI, INDEX_ZIP, TERMINAL_STATES
from ...settings import Settings
from ..pyside_fixes import emit
from .code import CodeRequests
from .questions import QuestionRequests
from .repos import RepoRequests
from .signals import BridgeSignals
from .wiki import WikiRequests

log = logging.getLogger(__name__)

STATUS_INTERVAL_MS = 1000
JOBS_INTERVAL_MS = 500
REQUESTS = frozenset({"start", "indexZip", "removeRepo", "reindexRepo", "cancelJob", "retryJob", "ask",
                      "stopAnswer", "listConversations", "loadConversation", "readSource", "applySettings",
                      "generateWiki", "exportWiki", "loadWiki", "loadWikiPage", "listFiles", "searchCode"})


class ServiceBridge(RepoRequests, QuestionRequests, WikiRequests, CodeRequests, BridgeSignals):
    """Dispatch, the services' lifecycle and the polls; each kind of request lives in its own module."""

    def __init__(self, home: Path, redis_url: str | None = None, settings: Settings | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.home = Path(home)
        self.redis_url = redis_url
        self.settings = settings
        self.manager = None
        self.service = None
        self._store = None
        self._searcher = None   # code search's thread (code.py), started by the first search
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

    def _when_ready(self, func) -> None:
        """Run a request that needs the services, or say they are not running."""
        if self.service is None:
            emit(self.errorOccurred, "The background services are not running.")
            return
        self._guard(func)

    # --- lifecycle ------------------------------------------------------------
    @Slot()
    def start(self) -> None:
        from ...jobs.manager import ServiceManager
        from ...jobs.service import JobService

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
        from ...core.models.catalog import resolve

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
        if self._searcher is not None:
            self._searcher.stop()
            self._searcher = None
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
        except (redis.RedisError, OSError) as exc:
            log.warning("jobs poll failed: %s", exc)
            return
        ended = False
        active: dict[str, str] = {}
        wikis_ended: list[str] = []
        for row in rows:  # each job names its repository (the service records it at submission)
            if row["name"] == GENERATE_WIKI:
                before = self._wiki_states.get(row["id"])
                if row["state"] in TERMINAL_STATES and before is not None and before not in TERMINAL_STATES \
                        and row["repo"]:
                    wikis_ended.append(row["repo"])
                self._wiki_states[row["id"]] = row["state"]
                continue
            if row["name"] != INDEX_ZIP:
                continue
            before = self._index_states.get(row["id"])
            if row["state"] in TERMINAL_STATES and before is not None and before not in TERMINAL_STATES:
                ended = True
            self._index_states[row["id"]] = row["state"]
            if row["repo"] and row["state"] not in TERMINAL_STATES:
                active.setdefault(row["repo"], row["state"])
        self._active_index = active
        emit(self.jobsChanged, rows)
        if ended:
            self._emit_repos()
        for repo in dict.fromkeys(wikis_ended):
            emit(self.wikiChanged, repo)

    # --- jobs ---------------------------------------------------------------------
    @Slot(str)
    def cancelJob(self, job_id: str) -> None:
        self._when_ready(lambda: (self.service.cancel(job_id), self._poll_jobs()))

    @Slot(str)
    def retryJob(self, job_id: str) -> None:
        self._when_ready(lambda: (self.service.requeue(job_id), self._poll_jobs()))


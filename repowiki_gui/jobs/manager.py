"""ServiceManager: finds or starts Redis and the workers for a data dir, stops what it started.

No Qt.  The GUI, ``repowiki serve`` and every CLI call build one.  What it
starts it supervises: a dead worker is replaced (its job failed, its orphan job
process killed), a dead Redis it owns is restarted, and cleanup runs at start
and then periodically.  What it found running it uses and leaves alone.
"""
from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis
from redis import Redis
from rq.worker import Worker

from ..core.datadir import app_db, logs_dir, run_dir
from ..core.errors import ServiceError
from ..core.fsutil import file_lock
from ..settings import Settings, prepare_home
from .history import TaskHistory
from .launch import self_command
from .names import CLEANUP
from .maintenance import clean_stale_workers, fail_abandoned_jobs, remove_orphan_horse
from .redis_server import RedisServer, redacted_url
from .worker import BULK_QUEUES, INTERACTIVE_QUEUES, make_worker_name

log = logging.getLogger(__name__)

# Below this much free space on the data dir's disk nothing works: Redis cannot append to its AOF
# (it refuses every write) and sqlite cannot add a task-history row. Say so instead of crashing later.
MIN_FREE_BYTES = 1024 * 1024


@dataclass
class WorkerProcess:
    kind: str
    queues: tuple[str, ...]
    name: str
    proc: subprocess.Popen
    started_at: float = field(default_factory=time.monotonic)


class ServiceManager:
    def __init__(self, home: Path, settings: Settings | None = None, redis_url: str | None = None):
        self.home = prepare_home(home)
        self.settings = settings or Settings.load(self.home)
        self.redis_url = redis_url or os.environ.get("REPOWIKI_REDIS_URL") or self.settings.redis_url or None
        self.redis: RedisServer | None = None
        self.workers: list[WorkerProcess] = []
        self.restarts = 0
        self.history = TaskHistory(app_db(self.home))
        self._conn: Redis | None = None
        self._stop = threading.Event()
        self._supervisor: threading.Thread | None = None
        self._children_lock = threading.Lock()
        self._last_cleanup = 0.0

    # --- connections --------------------------------------------------------
    def connection(self) -> Redis:
        if self._conn is None:
            if self.redis_url:
                self._conn = Redis.from_url(self.redis_url)
            else:
                self._conn = RedisServer(self.home).client()
        return self._conn

    def _start_lock(self):
        """Serialise start-up of several processes on one data dir."""
        return file_lock(run_dir(self.home) / "manager.lock")

    # --- start ----------------------------------------------------------------
    def start(self, workers: bool = True, wait: bool = True) -> "ServiceManager":
        """Make Redis (and, if asked, workers for every queue) available."""
        self._check_disk()
        with self._start_lock():
            if self.redis_url:
                try:
                    self.connection().ping()
                except (redis.ConnectionError, redis.AuthenticationError, OSError) as exc:
                    raise ServiceError(f"The Redis server at {self._safe_url()} cannot be reached: {exc}") from exc
            else:
                self.redis = RedisServer(self.home, self.settings.redis_start_timeout_s)
                self.redis.ensure()
            conn = self.connection()
            clean_stale_workers(conn)
            fail_abandoned_jobs(conn, self.history)
            if workers and self.settings.start_local_workers:
                self._start_missing_workers(wait)
        if self.owns_anything:
            self._enqueue_cleanup()
            self._supervisor = threading.Thread(target=self._supervise, name="service-supervisor", daemon=True)
            self._supervisor.start()
        return self

    def _check_disk(self) -> None:
        free = shutil.disk_usage(self.home).free
        if free < MIN_FREE_BYTES:
            raise ServiceError(f"The disk holding the data dir {self.home} is full ({free / 1e6:.1f} MB free); "
                               "free some space and start again.")

    @property
    def owns_anything(self) -> bool:
        return bool(self.workers) or bool(self.redis and self.redis.owned)

    def _safe_url(self) -> str:
        return redacted_url(self.redis_url or "")

    def _live_workers(self) -> list[Worker]:
        return [w for w in Worker.all(connection=self.connection())]

    def _start_missing_workers(self, wait: bool) -> None:
        live = self._live_workers()
        # Only a worker of the chat queues alone counts: one that also serves indexing (a `repowiki worker`
        # without --queues) would make a question wait behind a long job.
        if not any(set(w.queue_names()) == set(INTERACTIVE_QUEUES) for w in live):
            self._spawn("interactive", INTERACTIVE_QUEUES)
        bulk_live = sum(1 for w in live if set(BULK_QUEUES) <= set(w.queue_names()))
        if bulk_live == 0:
            for _ in range(self.settings.bulk_workers):  # 0: other machines do the bulk work
                self._spawn("bulk", BULK_QUEUES)
        if wait:
            for wp in list(self.workers):
                self._wait_registered(wp)

    def _spawn(self, kind: str, queues: tuple[str, ...]) -> WorkerProcess:
        name = make_worker_name(kind)
        cmd = self_command() + ["--home", str(self.home), "worker", "--queues", ",".join(queues),
                                "--name", name, "--kind", kind, "--parent-pid", str(os.getpid())]
        env = dict(os.environ, REPOWIKI_HOME=str(self.home), REPOWIKI_SETTINGS=self.settings.to_json())
        if self.redis_url:
            env["REPOWIKI_REDIS_URL"] = self.redis_url  # never on the command line: ps shows it
        logfile = open(logs_dir(self.home) / f"worker-{kind}.log", "ab")
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=logfile, stderr=subprocess.STDOUT,
                                    env=env, start_new_session=True)
        finally:
            logfile.close()
        wp = WorkerProcess(kind, queues, name, proc)
        with self._children_lock:
            self.workers.append(wp)
        log.info("started %s worker %s (pid %s)", kind, name, proc.pid)
        return wp

    def _wait_registered(self, wp: WorkerProcess) -> None:
        deadline = time.monotonic() + self.settings.worker_start_timeout_s
        key = f"rq:worker:{wp.name}"
        while not self.connection().exists(key):
            if wp.proc.poll() is not None:
                raise ServiceError(f"The {wp.kind} worker exited at start (code {wp.proc.returncode}); "
                                   f"see {self.home / 'logs' / f'worker-{wp.kind}.log'}.")
            if time.monotonic() > deadline:
                raise ServiceError(f"The {wp.kind} worker did not register within "
                                   f"{self.settings.worker_start_timeout_s:.0f} s.")
            time.sleep(0.05)  # the worker process has no readiness signal but its Redis key

    def _enqueue_cleanup(self) -> None:
        from .service import JobService

        self._last_cleanup = time.monotonic()
        try:
            JobService(self.connection(), self.settings, self.home).enqueue(CLEANUP)
        except (redis.ConnectionError, OSError):
            log.warning("could not enqueue cleanup", exc_info=True)

    # --- supervise ------------------------------------------------------------
    def _supervise(self) -> None:
        while not self._stop.wait(self.settings.supervise_interval_s):
            try:
                self.check_children()
                if time.monotonic() - self._last_cleanup > self.settings.cleanup_interval_s:
                    self._enqueue_cleanup()
            except (redis.RedisError, ServiceError, OSError):
                # RedisError, not only ConnectionError: on a full disk Redis answers MISCONF to every
                # write, and a supervisor that died of it would never replace a worker again.
                log.exception("supervisor: a check failed; trying again")

    def check_children(self) -> None:
        """Restart a dead Redis we own and replace dead workers (failing their jobs)."""
        if self.redis and self.redis.owned and not self.redis.process_alive():
            log.warning("redis-server died; restarting it")
            self.redis._clear_stale()
            self.redis.start()
        for wp in list(self.workers):
            if wp.proc.poll() is None or self._stop.is_set():
                continue
            log.warning("%s worker %s exited with %s; replacing it", wp.kind, wp.name, wp.proc.returncode)
            self._reap(wp)
            conn = self.connection()
            clean_stale_workers(conn, {wp.name})
            fail_abandoned_jobs(conn, self.history, {wp.name})
            with self._children_lock:
                self.workers.remove(wp)
            self.restarts += 1
            self._spawn(wp.kind, wp.queues)

    def _reap(self, wp: WorkerProcess) -> None:
        """Kill what a dead worker leaves: its job process and its scheduler child."""
        remove_orphan_horse(run_dir(self.home) / f"{wp.name}.horse")
        try:
            os.killpg(wp.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        wp.proc.wait()

    # --- stop -----------------------------------------------------------------
    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the workers and the Redis server this manager started; leave others alone."""
        self._stop.set()
        if self._supervisor is not None and self._supervisor is not threading.current_thread():
            self._supervisor.join()
        with self._children_lock:
            workers, self.workers = self.workers, []
        for wp in workers:
            if wp.proc.poll() is None:
                wp.proc.send_signal(signal.SIGTERM)  # warm shutdown: finish or give up the job
        deadline = time.monotonic() + timeout_s
        for wp in workers:
            try:
                wp.proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("worker %s did not stop in time; killing it", wp.name)
            self._reap(wp)
        if workers:
            try:
                conn = self.connection()
                names = {wp.name for wp in workers}
                clean_stale_workers(conn, names)
                fail_abandoned_jobs(conn, self.history, names)
            except (redis.RedisError, OSError):  # MISCONF on a full disk included: stop Redis all the same
                log.warning("could not tidy worker keys at stop", exc_info=True)
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self.redis is not None:
            self.redis.stop()

    def __enter__(self) -> "ServiceManager":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- status ---------------------------------------------------------------
    def status(self) -> dict:
        """Redis and worker health for ``repowiki status`` and the status bar."""
        info: dict = {"home": str(self.home), "redis": {"url": self._safe_url() or f"unix://{self.home}/run/redis.sock"}}
        if not self.redis_url and not RedisServer(self.home).ping():
            info["redis"].update(running=False, error="no redis-server runs for this data dir")
            return info
        try:
            server = self.connection().info("server")
            info["redis"].update(running=True, version=server.get("redis_version"),
                                 pid=server.get("process_id"), tcp_port=server.get("tcp_port"),
                                 owned_by_this_process=bool(self.redis and self.redis.owned))
        except (redis.ConnectionError, redis.AuthenticationError, OSError) as exc:
            info["redis"].update(running=False, error=str(exc))
        return info

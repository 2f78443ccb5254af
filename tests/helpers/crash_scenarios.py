"""Issue 7, point 1: crashes and a full disk, run for real; each scenario returns what it saw.

The tests in ``test_kill.py`` / ``test_quit.py`` / ``test_disk_full.py`` assert on these facts
and ``bench/faults_report.py`` prints them, so both run the very same steps. Every scenario
owns a fresh data dir, the bundled Redis, real workers and the real ONNX embedder; the ZIPs
are made from this repository's own source files, so nothing comes from the network.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import psutil

from repowiki_gui.core.index.store import ChunkStore
from repowiki_gui.jobs.manager import ServiceManager
from repowiki_gui.jobs.service import JobService
from repowiki_gui.settings import Settings

from helpers.hostile_zips import make_zip
from helpers.processes import processes_using, run_cli
from helpers.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
REPO = "demo"
EMBED_DIM = 384  # all-MiniLM-L6-v2, the bundled embedder
ENDED = ("finished", "failed", "stopped", "canceled")


def fast_settings() -> Settings:
    """The short intervals of tests/conftest.py's fixture, for callers outside pytest (the report)."""
    return Settings(supervise_interval_s=0.2, job_monitoring_interval_s=1, worker_ttl_s=15,
                    retry_intervals_s=(1, 1, 1), cleanup_interval_s=3600)


# --- ZIPs -------------------------------------------------------------------------------------

def _sources(under: str) -> list[Path]:
    return sorted((ROOT / "repowiki_gui" / under).glob("*.py"))


def version_zips(folder: Path, extra_bytes: int = 30_000) -> tuple[Path, Path]:
    """v1: three small files; v2: one of them changed, one removed, and ~``extra_bytes`` of new code.

    The new code (~70 chunks) takes the real embedder several seconds on two busy cores: long
    enough to kill the job in the middle of it, short enough for a test.
    """
    folder.mkdir(parents=True, exist_ok=True)
    small = [p for p in _sources("core") if 1_000 < p.stat().st_size < 4_000][:3]
    keep, change, drop = small
    v1 = [(f"demo-1/{p.name}", p.read_bytes()) for p in small]
    extra, size = [], 0
    for path in _sources("jobs"):
        if size >= extra_bytes:
            break
        extra.append((f"demo-2/jobs/{path.name}", path.read_bytes()))
        size += path.stat().st_size
    v2 = [(f"demo-2/{keep.name}", keep.read_bytes()),
          (f"demo-2/{change.name}", change.read_bytes() + b"\n\ndef added_in_v2():\n    return 2\n"),
          *extra]
    assert drop.name not in {name.rsplit("/", 1)[-1] for name, _ in v2}
    return make_zip(folder / "demo-v1.zip", v1), make_zip(folder / "demo-v2.zip", v2)


# --- looking at the index -----------------------------------------------------------------------

def chunk_set(home: Path, repo: str = REPO) -> set[tuple]:
    """(chunk id, content hash, path, lines) of every chunk of ``repo``: equal sets, equal indexes."""
    store = ChunkStore(home / "lancedb", EMBED_DIM)
    rows = (store.table().search().where(f"repo = '{repo}'")
            .select(["chunk_id", "content_hash", "path", "start_line", "end_line"]).limit(None).to_list())
    return {(r["chunk_id"], r["content_hash"], r["path"], r["start_line"], r["end_line"]) for r in rows}


def chunk_count(home: Path, repo: str = REPO) -> int:
    return ChunkStore(home / "lancedb", EMBED_DIM).count(repo)


def search_paths(service: JobService, question: str = "store chunks of a file") -> set[str]:
    """The files a real qa.retrieval job (interactive worker) cites for ``question``."""
    job = service.enqueue("qa.retrieval", REPO, question, 8)
    final = service.wait(job, timeout_s=120)
    assert final["state"] == "finished", final
    return {ref["path"] for ref in final["result"]["references"]}


def clean_index_chunks(zip_path: Path, home: Path) -> set[tuple]:
    """Index ``zip_path`` into a fresh data dir, in this process, the way the job does it."""
    from repowiki_gui.core.index.indexer import index_zip
    from repowiki_gui.core.index.repositories import RepoRegistry
    from repowiki_gui.jobs.tasks import _embedder, _limits
    from repowiki_gui.settings import prepare_home

    home = prepare_home(home)
    settings = Settings()
    embedder = _embedder(settings)
    index_zip(zip_path, REPO, store=ChunkStore(home / "lancedb", embedder.dim),
              registry=RepoRegistry(home / "app.sqlite"), embedder=embedder, limits=_limits(settings))
    return chunk_set(home)


# --- services -----------------------------------------------------------------------------------

@contextmanager
def running(home: Path, settings: Settings):
    """Redis and real workers for ``home``, stopped on the way out; yields (manager, service)."""
    manager = ServiceManager(home, settings).start(workers=True)
    try:
        yield manager, JobService(manager.connection(), manager.settings, manager.home)
    finally:
        manager.stop()


def index(service: JobService, zip_path: Path, timeout_s: float = 300) -> dict:
    return service.wait(service.enqueue("indexing.index_zip", str(zip_path), REPO), timeout_s=timeout_s)


def wait_stage(service: JobService, job_id: str, stage: str, timeout_s: float = 120) -> dict:
    """Wait until the job reports ``stage`` (fail if it ends first)."""
    def reached():
        st = service.status(job_id)
        assert st["state"] not in ENDED, f"the job ended before {stage}: {st}"
        return st if st["progress"].get("stage") == stage else None
    return wait_until(reached, timeout_s=timeout_s, interval_s=0.05, what=f"stage {stage!r}")


def horse_pid(manager: ServiceManager) -> int:
    """The forked job process of the (one) bulk worker, from the pid file the worker writes."""
    bulk = next(wp for wp in manager.workers if wp.kind == "bulk")
    return int(wait_until(lambda: _read(manager.home / "run" / f"{bulk.name}.horse"), what="the horse pid file"))


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except FileNotFoundError:
        return None


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


# --- 1. kill -9 of the job process mid-embed ----------------------------------------------------

def kill_job_process_mid_embed(workdir: Path, settings: Settings) -> dict:
    """v1 indexed; v2's job process killed mid-embed; v1 stays searchable; the re-run equals a clean v2."""
    v1, v2 = version_zips(workdir / "zips")
    home = workdir / "home"
    facts: dict = {}
    with running(home, settings) as (manager, service):
        assert index(service, v1)["state"] == "finished"
        facts["v1_chunks"] = chunk_count(home)
        v1_paths = chunk_paths(home)
        search_paths(service)  # loads the interactive worker's model: later searches are quick
        job = service.enqueue("indexing.index_zip", str(v2), REPO)
        wait_stage(service, job, "embed")
        horse = horse_pid(manager)
        facts["searchable_during"] = search_paths(service) <= v1_paths
        facts["chunks_during"] = chunk_count(home)
        facts["stage_at_kill"] = service.status(job)["progress"]["stage"]
        os.kill(horse, signal.SIGKILL)
        wait_until(lambda: gone(horse), what="the killed job process to go")
        facts["chunks_after_kill"] = chunk_count(home)
        facts["searchable_after_kill"] = search_paths(service) <= v1_paths
        # rq sees the horse die: the job fails, or (retries left) is retried and runs again
        final = service.wait(job, timeout_s=300)
        facts["retried"] = (final.get("retries_left") or 0) < settings.retry_max
        facts["state"] = final["state"]
        if final["state"] != "finished":  # failed for good: the user runs it again
            facts["rerun_state"] = index(service, v2)["state"]
        facts["rerun_chunks"] = chunk_set(home)
    facts["clean_chunks"] = clean_index_chunks(v2, workdir / "clean-home")
    facts["same_as_clean"] = facts["rerun_chunks"] == facts["clean_chunks"]
    return facts


def chunk_paths(home: Path) -> set[str]:
    return {row[2] for row in chunk_set(home)}


# --- 2. kill -9 of Redis mid-job ----------------------------------------------------------------

def kill_redis_mid_job(workdir: Path, settings: Settings) -> dict:
    """Redis killed while one index job embeds and another waits: restarted, nothing lost or stuck."""
    v1, v2 = version_zips(workdir / "zips")
    home = workdir / "home"
    facts: dict = {}
    with running(home, settings) as (manager, service):
        running_job = service.enqueue("indexing.index_zip", str(v2), REPO)
        wait_stage(service, running_job, "embed")
        queued_job = service.enqueue("indexing.index_zip", str(v1), "second")  # behind it on the bulk worker
        facts["queued_before_kill"] = service.status(queued_job)["state"]
        server = manager.redis
        old_pid, password = server.pid, server.password()
        os.kill(old_pid, signal.SIGKILL)
        new_pid = wait_until(lambda: server.ping() and server.pid != old_pid and server.pid, timeout_s=30,
                             what="the supervisor to restart redis-server")
        facts["redis_restarted"] = bool(new_pid) and gone(old_pid)
        facts["same_socket_and_password"] = server.socket_path.exists() and server.password() == password
        facts["running_state"] = _final_state(service, running_job)
        facts["queued_state"] = _final_state(service, queued_job)
        facts["second_chunks"] = chunk_count(home, "second")
    return facts


def _final_state(service: JobService, job_id: str, timeout_s: float = 300) -> str:
    """The job's end state; "lost" if Redis forgot it, "stuck <state>" if it never ends."""
    try:
        final = service.wait(job_id, timeout_s=timeout_s)
    except TimeoutError:
        return f"stuck {service.status(job_id)['state']}"
    return "lost" if final.get("expired") else final["state"]


# --- 3. quitting mid-job --------------------------------------------------------------------------

class _Cli:
    """`repowiki index` as a user runs it in a terminal; its output lines are collected as they come."""

    def __init__(self, home: Path, zip_path: Path):
        self.proc = subprocess.Popen([sys.executable, "-m", "repowiki_gui", "--home", str(home), "index",
                                      str(zip_path), "--name", REPO],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=lambda: self.lines.extend(self.proc.stdout), daemon=True)
        self._reader.start()

    def wait_embedding(self) -> None:
        wait_until(lambda: any("[embed]" in line for line in self.lines) or self.proc.poll() is not None,
                   timeout_s=180, what="an [embed] progress line")
        assert self.proc.poll() is None, f"the CLI ended early: {self.lines} {self.proc.stderr.read()}"

    def finish(self, timeout_s: float = 60) -> tuple[int, str]:
        code = self.proc.wait(timeout_s)
        self._reader.join(10)
        err = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return code, err


def _jobs(home: Path) -> dict[str, dict]:
    result = run_cli("jobs", "--json", home=home)
    assert result.returncode == 0, result.stderr
    return {j["name"]: j for j in json.loads(result.stdout)}


def cli_ctrl_c_mid_index(workdir: Path) -> dict:
    """Ctrl-C in `repowiki index` while it embeds: exit 130, nothing left running, the job stopped."""
    _v1, v2 = version_zips(workdir / "zips")
    home = workdir / "home"
    cli = _Cli(home, v2)
    cli.wait_embedding()
    cli.proc.send_signal(signal.SIGINT)
    code, err = cli.finish()
    return {"exit": code, "stderr": err.strip(), "left_running": [p.pid for p in processes_using(home)],
            "job_state": _jobs(home)["indexing.index_zip"]["state"]}


def cli_killed_mid_index(workdir: Path) -> dict:
    """kill -9 of `repowiki index` (it owns Redis and the workers) while it embeds, then start again."""
    _v1, v2 = version_zips(workdir / "zips")
    home = workdir / "home"
    cli = _Cli(home, v2)
    cli.wait_embedding()
    redis_pid = int((home / "run" / "redis.pid").read_text())
    cli.proc.kill()
    cli.finish()
    # the workers' parent-death watchdog takes them (and the job process) down; Redis, in its own
    # session, lives on until the next command adopts it
    wait_until(lambda: {p.pid for p in processes_using(home)} <= {redis_pid}, timeout_s=30,
               what="the orphaned workers to exit")
    job = _jobs(home)["indexing.index_zip"]
    facts = {"job_state_after_restart": job["state"], "job_error": job.get("error"),
             "progress_shown": job.get("progress", {}).get("stage")}
    again = run_cli("index", str(v2), "--name", REPO, home=home, timeout=300)
    facts.update(index_again_exit=again.returncode, index_again_err=again.stderr.strip()[-300:],
                 left_running=[p.pid for p in processes_using(home)])
    return facts


def app_quit_mid_index(workdir: Path, settings: Settings) -> dict:
    """The window quits (ServiceManager.stop) while a job embeds; the next start shows it or runs it."""
    _v1, v2 = version_zips(workdir / "zips")
    home = workdir / "home"
    first = ServiceManager(home, settings).start(workers=True)
    service = JobService(first.connection(), first.settings, first.home)
    job = service.enqueue("indexing.index_zip", str(v2), REPO)
    wait_stage(service, job, "embed")
    first.stop(timeout_s=1)  # the window's quit; a warm shutdown that would outlast it is cut short
    with running(home, settings) as (_manager, service):
        after = service.status(job)
        facts = {"state_at_restart": after["state"], "progress_at_restart": after["progress"].get("stage"),
                 "error_at_restart": after["error"]}
        final = service.wait(job, timeout_s=300) if after["state"] not in ENDED else after
        facts["final_state"] = final["state"]
    return facts


# --- 4. a full disk -----------------------------------------------------------------------------

class MountNotPermitted(Exception):
    """This machine does not let us mount a tmpfs (not root, or in a container that forbids it)."""


@contextmanager
def small_disk(path: Path, size: str = "32m"):
    """A tmpfs of ``size`` mounted at ``path`` for the data dir; unmounted on the way out."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        raise MountNotPermitted(f"mount -t tmpfs failed: {mounted.stderr.strip() or mounted.returncode}")
    try:
        yield path
    finally:
        if subprocess.run(["umount", str(path)], capture_output=True, check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], check=True)  # busy: detach it now, free it when idle


def fill_disk(path: Path, leave_bytes: int) -> Path:
    """Write a ballast file next to the data until only ``leave_bytes`` stay free (0: full)."""
    ballast = path / "ballast"
    block = b"\0" * (1 << 16)
    with open(ballast, "ab") as fh:
        try:
            while True:
                room = os.statvfs(path).f_bavail * os.statvfs(path).f_frsize - leave_bytes
                if room <= 0:
                    break
                fh.write(block[:min(len(block), room)])
                fh.flush()
        except OSError:
            pass  # full to the last byte
    return ballast


def disk_full_mid_index(workdir: Path, settings: Settings) -> dict:
    """v1 fits on a small disk; v2 cannot: one clear sentence, no retry, v1 intact; then Redis on a full disk."""
    v1, v2 = version_zips(workdir / "zips", extra_bytes=60_000)  # ~140 new chunks: ~500 KB of rows
    home = workdir / "home"
    facts: dict = {}
    with small_disk(home), running(home, settings) as (manager, service), _ballast_removed(home):
        assert index(service, v1)["state"] == "finished"
        facts["v1_chunks"] = chunk_count(home)
        v1_paths = chunk_paths(home)
        search_paths(service)
        ballast = fill_disk(home, leave_bytes=256 * 1024)  # room for Redis, sqlite and logs, not for v2's rows
        job = service.enqueue("indexing.index_zip", str(v2), REPO)
        final = service.wait(job, timeout_s=300)
        facts.update(state=final["state"], error=final["error"], retries_left=final.get("retries_left"),
                     chunks_after=chunk_count(home), searchable_after=search_paths(service) <= v1_paths)
        facts["runs_of_failed_job"] = _runs(service, job)
        # Now nothing is left at all: Redis cannot append to its AOF and refuses writes.
        fill_disk(home, leave_bytes=0)
        # the AOF's last page still has room for a few writes; past it every write is refused
        facts["redis_refuses_writes"] = not all(_writable(service, 4096) for _ in range(64))
        cli = run_cli("index", str(v1), "--name", REPO, home=home, timeout=120)
        facts.update(cli_full_exit=cli.returncode, cli_full_err=cli.stderr.strip())
        # a worker dies while Redis refuses writes (rq's own workers also quit on MISCONF):
        # the supervisor must outlive the refusals and replace it once space is back
        victim = next(wp for wp in manager.workers if wp.kind == "interactive")
        restarts = manager.restarts
        victim.proc.kill()
        victim.proc.wait(10)
        ballast.unlink()
        facts["redis_recovers"] = bool(wait_until(lambda: _writable(service), timeout_s=30,
                                                  what="Redis to accept writes again"))
        wait_until(lambda: manager.restarts > restarts and len(service.monitor()["workers"]) == 2,
                   timeout_s=60, what="dead workers to be replaced")
        facts["supervisor_alive"] = manager._supervisor.is_alive()
        facts["after_space_freed"] = index(service, v1)["state"]
        facts["search_after_space_freed"] = search_paths(service) <= v1_paths
    return facts


@contextmanager
def _ballast_removed(home: Path):
    """Whatever happens, free the disk before the services stop (a full disk blocks their tidy-up)."""
    try:
        yield
    finally:
        (home / "ballast").unlink(missing_ok=True)


def _runs(service: JobService, job_id: str) -> int:
    """How many times the job ran: each run ends with one end event on its progress stream."""
    from repowiki_gui.jobs import keys
    from repowiki_gui.jobs.progress import END_STAGE

    events = service.connection.xrange(keys.PROGRESS.format(job_id))
    return sum(1 for _id, fields in events if fields.get(b"stage") == END_STAGE.encode())


def _writable(service: JobService, size: int = 1) -> bool:
    import redis

    try:
        return bool(service.connection.set("repowiki:probe", "x" * size, ex=10))
    except redis.ResponseError:
        return False

"""Issue 7's fault scenarios, run for real, as one table: scenario | expected | observed | pass.

    python bench/faults_report.py [--only PREFIX] [--keep]

Each scenario is a function ``(workdir) -> Outcome`` listed in ``SCENARIOS``; a scenario
gets a fresh folder of its own and owns whatever it starts there. Point 2 (the hostile
ZIP corpus of tests/helpers/hostile_zips.py, through the indexer), point 4 (the bundled
Redis and the data dir) and point 1 (kill -9 of a job process or of Redis, quitting mid-job,
a full disk: tests/helpers/crash_scenarios.py) are here; point 3 (load) comes from
bench/faults_load.py's ``scenarios()`` when that module exists. Exit status 1 if any fails.
"""
from __future__ import annotations

import argparse
import os
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests")]  # the package helpers lives in tests/

import psutil
import redis

from repowiki_gui.core.errors import ArchiveError
from repowiki_gui.core.index.indexer import index_zip
from repowiki_gui.core.index.repositories import RepoRegistry
from repowiki_gui.core.index.store import ChunkStore
from repowiki_gui.core.ingest.files import IngestLimits
from repowiki_gui.jobs.redis_server import RedisServer
from repowiki_gui.settings import prepare_home

from helpers import crash_scenarios  # point 1: the same steps the fault tests run
from helpers import hostile_zips  # the corpus and its expected outcomes
from helpers.fakes import FakeEmbedder


@dataclass
class Outcome:
    expected: str
    observed: str
    passed: bool


Scenario = Callable[[Path], Outcome]


# --- point 2: hostile ZIPs ----------------------------------------------------------------

def _zip_scenario(case: hostile_zips.Case) -> Scenario:
    """Index ``case`` over an existing index of the same name: the right outcome, and the old index kept."""
    def run(workdir: Path) -> Outcome:
        home = prepare_home(workdir / "home")
        embedder = FakeEmbedder()  # the corpus is about the archive, not the model: keep the report fast
        store = ChunkStore(home / "lancedb", embedder.dim)
        registry = RepoRegistry(home / "app.sqlite")
        index = lambda path: index_zip(path, "victim", store=store, registry=registry,
                                       embedder=embedder, limits=IngestLimits())
        baseline = hostile_zips.make_zip(workdir / "baseline.zip", [("b/keep.py", b"def keep():\n    return 1\n")])
        index(baseline)
        before = store.count("victim")
        path = hostile_zips.build(case, workdir / "corpus")
        try:
            report = index(path)
        except ArchiveError as exc:
            message = str(exc)
            kept = store.count("victim") == before
            one_sentence = message.endswith(".") and "\n" not in message
            observed = message + ("" if kept else " [previous index LOST]")
            return Outcome(case.expected, observed, bool(case.error) and case.error in message and kept
                           and one_sentence)
        files = tuple(sorted(registry.file_manifest("victim")))
        observed = f"index {report.files} files" + (f", skipped {report.skipped}" if report.skipped else "")
        return Outcome(case.expected, observed, case.expect == "index" and files == case.paths)
    return run


def _nothing_escaped(workdir: Path) -> Outcome:
    """After the whole corpus: no traversal target and no bait marker anywhere."""
    hits = [str(p) for p in workdir.parent.rglob(hostile_zips.ESCAPE_NAME)]
    hits += [str(p) for p in workdir.parent.rglob(hostile_zips.marker_path(Path()).name)]
    if Path(hostile_zips.ABSOLUTE_TARGET).exists():
        hits.append(hostile_zips.ABSOLUTE_TARGET)
    return Outcome("no file outside the index, no ZIP file run", ", ".join(hits) or "none found", not hits)


# --- point 4: security ----------------------------------------------------------------------

def _redis_private(workdir: Path) -> Outcome:
    home = prepare_home(workdir / "home")
    server = RedisServer(home)
    server.ensure()
    try:
        facts = []
        nopass = redis.Redis(unix_socket_path=str(server.socket_path))
        try:
            nopass.ping()
            facts.append("answered without password")
        except redis.AuthenticationError:
            facts.append("NOAUTH refused")
        finally:
            nopass.close()
        client = server.client()
        port = client.config_get("port")["port"]
        client.close()
        listening = [c for c in psutil.Process(server.pid).net_connections(kind="inet")
                     if c.status == psutil.CONN_LISTEN]
        facts += [f"port {port}", f"{len(listening)} TCP listeners"]
        ok = facts[0] == "NOAUTH refused" and port == "0" and not listening
        return Outcome("NOAUTH refused, port 0, 0 TCP listeners", ", ".join(facts), ok)
    finally:
        server.stop()


def _data_dir_private(workdir: Path) -> Outcome:
    home = workdir / "home"
    home.mkdir(mode=0o755)
    os.chmod(home, 0o755)  # made by the user before, open to all: starting must close it
    server = RedisServer(prepare_home(home))
    server.ensure()
    try:
        modes = {p.name: oct(stat.S_IMODE(p.stat().st_mode))
                 for p in (home, server.socket_path, server.secret_path, server.conf_path)}
        ok = modes[home.name] == "0o700" and all(int(m, 8) & 0o077 == 0 for m in modes.values())
        return Outcome("home 0700; socket, password, config closed to others",
                       ", ".join(f"{k} {v}" for k, v in modes.items()), ok)
    finally:
        server.stop()


# --- point 1: crashes and a full disk (tests/helpers/crash_scenarios.py runs them, the tests assert) ----

def _facts(**shown):
    """A compact observed column: key=value for the facts a reader needs."""
    return ", ".join(f"{k}={v}" for k, v in shown.items())


def _kill_job_process(workdir: Path) -> Outcome:
    f = crash_scenarios.kill_job_process_mid_embed(workdir, crash_scenarios.fast_settings())
    ok = (f["stage_at_kill"] == "embed" and f["chunks_during"] == f["chunks_after_kill"] == f["v1_chunks"]
          and f["searchable_during"] and f["searchable_after_kill"] and f["state"] in ("finished", "failed")
          and f.get("rerun_state", "finished") == "finished" and f["same_as_clean"])
    return Outcome("job failed/retried; v1 kept+searchable; re-run == clean v2",
                   _facts(killed_in=f["stage_at_kill"], v1=f["v1_chunks"], after_kill=f["chunks_after_kill"],
                          end=f["state"] + (" (retried)" if f["retried"] else ""),
                          rerun=f"{len(f['rerun_chunks'])} chunks", same_as_clean=f["same_as_clean"]), ok)


def _kill_redis(workdir: Path) -> Outcome:
    f = crash_scenarios.kill_redis_mid_job(workdir, crash_scenarios.fast_settings())
    ok = (f["queued_before_kill"] == "queued" and f["redis_restarted"] and f["same_socket_and_password"]
          and f["running_state"] in ("finished", "failed") and f["queued_state"] == "finished")
    return Outcome("restarted; queued job kept (AOF); running one ends",
                   _facts(restarted=f["redis_restarted"], same_socket=f["same_socket_and_password"],
                          running_job=f["running_state"], queued_job=f["queued_state"]), ok)


def _cli_ctrl_c(workdir: Path) -> Outcome:
    f = crash_scenarios.cli_ctrl_c_mid_index(workdir)
    ok = f["exit"] == 130 and f["stderr"].endswith("cancelled") and not f["left_running"] and f["job_state"] == "stopped"
    return Outcome("exit 130 'cancelled', no process left, job stopped",
                   _facts(exit=f["exit"], left=len(f["left_running"]), job=f["job_state"]), ok)


def _cli_killed(workdir: Path) -> Outcome:
    f = crash_scenarios.cli_killed_mid_index(workdir)
    ok = (f["job_state_after_restart"] in ("failed", "scheduled", "queued") and f["index_again_exit"] == 0
          and not f["left_running"])
    return Outcome("job failed or retried (never started); index again ok",
                   _facts(job=f["job_state_after_restart"], progress=f["progress_shown"],
                          index_again=f["index_again_exit"], left=len(f["left_running"])), ok)


def _app_quit(workdir: Path) -> Outcome:
    f = crash_scenarios.app_quit_mid_index(workdir, crash_scenarios.fast_settings())
    ok = bool(f["progress_at_restart"]) and (f["final_state"] == "finished" or f["state_at_restart"] == "failed")
    return Outcome("at restart: progress shown, job re-run to the end",
                   _facts(at_restart=f["state_at_restart"], progress=f["progress_at_restart"],
                          end=f["final_state"]), ok)


def _disk_full(workdir: Path) -> Outcome:
    try:
        f = crash_scenarios.disk_full_mid_index(workdir, crash_scenarios.fast_settings())
    except crash_scenarios.MountNotPermitted as exc:
        return Outcome("one sentence, no retry, v1 intact", f"not run: {exc}", False)
    ok = (f["state"] == "failed" and f["error"].startswith("The disk holding the data dir is full")
          and f["runs_of_failed_job"] == 1 and f["chunks_after"] == f["v1_chunks"] and f["searchable_after"]
          and f["redis_refuses_writes"] and f["cli_full_exit"] == 1 and "disk" in f["cli_full_err"]
          and f["redis_recovers"] and f["supervisor_alive"] and f["after_space_freed"] == "finished")
    return Outcome("one sentence, no retry, v1 intact; Redis MISCONF → clear CLI error, recovers",
                   _facts(error=f["error"].split(" (")[0], runs=f["runs_of_failed_job"], v1=f["v1_chunks"],
                          after=f["chunks_after"], cli=f["cli_full_err"].split(" (")[0],
                          redis_back=f["redis_recovers"], then=f["after_space_freed"]), ok)


def _load_scenarios() -> list[tuple[str, Scenario]]:
    """Point 3's scenarios, from bench/faults_load.py when it is there."""
    try:
        import faults_load
    except ImportError:
        return []
    return list(faults_load.scenarios())


SCENARIOS: list[tuple[str, Scenario]] = [
    *((f"zip: {case.name}", _zip_scenario(case)) for case in hostile_zips.CASES),
    ("zip: nothing escaped", _nothing_escaped),
    ("security: redis private", _redis_private),
    ("security: data dir private", _data_dir_private),
    ("crash: kill -9 job process mid-embed", _kill_job_process),
    ("crash: kill -9 redis mid-job", _kill_redis),
    ("quit: Ctrl-C of repowiki index", _cli_ctrl_c),
    ("quit: kill -9 of repowiki index", _cli_killed),
    ("quit: app stops mid-job, restarts", _app_quit),
    ("disk full: data dir on a small tmpfs", _disk_full),
    *_load_scenarios(),
]


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="run the scenarios whose name starts with this")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    args = ap.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="repowiki-faults-"))
    rows, failed = [], 0
    try:
        for number, (name, scenario) in enumerate(SCENARIOS):
            if not name.startswith(args.only):
                continue
            workdir = root / f"{number:03d}"
            workdir.mkdir()
            t0 = time.perf_counter()
            try:
                outcome = scenario(workdir)
            except Exception as exc:  # noqa: BLE001  (a crashed scenario is a failed row, not a crashed report)
                outcome = Outcome("(see scenario)", f"CRASH {type(exc).__name__}: {exc}", False)
            failed += not outcome.passed
            rows.append((name, outcome, time.perf_counter() - t0))
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    widths = (32, 44, 90)
    print(f"{'scenario':<{widths[0]}} | {'expected':<{widths[1]}} | {'observed':<{widths[2]}} | pass")
    print("-" * (sum(widths) + 16))
    for name, o, _seconds in rows:
        print(f"{_clip(name, widths[0]):<{widths[0]}} | {_clip(o.expected, widths[1]):<{widths[1]}} | "
              f"{_clip(o.observed, widths[2]):<{widths[2]}} | {'yes' if o.passed else 'NO'}")
    print(f"\n{len(rows) - failed}/{len(rows)} passed" + (f" (work folder {root})" if args.keep else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

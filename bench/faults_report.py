"""Issue 7's fault scenarios, run for real, as one table: scenario | expected | observed | pass.

    python bench/faults_report.py [--only PREFIX] [--keep]

Each scenario is a function ``(workdir) -> Outcome`` listed in ``SCENARIOS``; a scenario
gets a fresh folder of its own and owns whatever it starts there. Point 2 (the hostile
ZIP corpus of tests/faults/hostile_zips.py, through the indexer) and point 4 (the bundled
Redis and the data dir) are here; point 1 (kill -9 of a worker or of Redis, a full disk)
and point 3 (load) go in as more functions of the same shape. Exit status 1 if any fails.
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
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "faults")]

import hostile_zips  # the corpus and its expected outcomes
import psutil
import redis

from repowiki_gui.core.embedder import FakeEmbedder
from repowiki_gui.core.errors import ArchiveError
from repowiki_gui.core.files import IngestLimits
from repowiki_gui.core.indexer import index_zip
from repowiki_gui.core.repositories import RepoRegistry
from repowiki_gui.core.store import ChunkStore
from repowiki_gui.jobs.redis_server import RedisServer
from repowiki_gui.settings import prepare_home


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


SCENARIOS: list[tuple[str, Scenario]] = [
    *((f"zip: {case.name}", _zip_scenario(case)) for case in hostile_zips.CASES),
    ("zip: nothing escaped", _nothing_escaped),
    ("security: redis private", _redis_private),
    ("security: data dir private", _data_dir_private),
    # point 1 and 3 scenarios (kill -9 worker / Redis, disk full, load) are added here as functions
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

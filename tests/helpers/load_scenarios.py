"""Issue 7, point 3: load on the real services, with nothing lost, duplicated or stuck.

Three scenarios, each on its own data dir with its own Redis and workers, the bundled
ONNX embedder and GGUF model (no fakes):

* questions: 4 client processes (each its own ServiceManager and Redis connection, as
  four `repowiki ask` would) enqueue 25 tagged questions each at once, then follow the
  answers; every answer must finish once, with its own question, references and
  conversation turn.
* zips: 20 generated repositories queued at once on 2 bulk workers; all indexed, with
  the file and chunk counts of the same ZIPs indexed alone.
* responsive: answers asked one after another while a dozen indexing jobs fill the bulk
  queue; each must end while indexing work is still queued, latency idle vs loaded.

Each scenario returns a run whose ``outcome()`` is (expected, observed, passed).
tests/faults/test_load.py runs them with more asserts; bench/faults_load.py runs them
with the shipped defaults and prints the table (bench/faults_report.py includes it).
"""
from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import zipfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from rq import Queue
from rq.job import Job

from repowiki_gui.core.qa.conversations import Conversations
from repowiki_gui.jobs.manager import ServiceManager
from repowiki_gui.jobs import keys
from repowiki_gui.jobs.service import JobService
from repowiki_gui.jobs.worker import BULK_QUEUES, INTERACTIVE_QUEUES
from repowiki_gui.settings import SETTINGS_ENV, Settings

from helpers.sample_repos import SHOP_FILES

REPO = "shop"
# Two topics with different files: an answer that got another question's references shows it.
TOPICS = {"payment": ("how is the webhook signature verified?", "src/shop/payment.py"),
          "cart": ("how does Cart.add_item store the items?", "src/shop/cart.py")}
K = 3  # references per question: short prompts keep 100 real answers within a couple of minutes


class Outcome(NamedTuple):
    expected: str
    observed: str
    passed: bool


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


# --- services and repositories ------------------------------------------------------------

@contextmanager
def running(home: Path, settings: Settings):
    """Redis and workers for ``home`` (started here, stopped on exit) and a job service."""
    manager = ServiceManager(home, settings).start(workers=True)
    try:
        yield JobService(manager.connection(), manager.settings, manager.home)
    finally:
        manager.stop()


def write_zip(path: Path, top: str, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in files.items():
            zf.writestr(f"{top}/{name}", text)
    return path


def generated_files(repo: str, modules: int, functions: int) -> dict[str, str]:
    """A small Python package whose every function is distinct (no vector is reused between repos)."""
    tag = repo.replace("-", "_")
    files = {"README.md": f"# {repo}\n\nGenerated for the load test: {modules} modules.\n"}
    for i in range(modules):
        body = [f'"""Stage {i} of {repo}."""\n']
        for j in range(functions):
            body.append(f"\n\ndef {tag}_step_{i}_{j}(value, scale={j + 1}):\n"
                        f'    """Stage {i}, step {j} of {repo}: scale the value and fold it."""\n'
                        f"    total = value * scale + {i * 31 + j}\n"
                        f"    if total % {j + 2} == 0:\n"
                        f"        return total // {j + 2}\n"
                        f"    return total - len({repo!r})\n")
        files[f"src/{tag}/stage_{i}.py"] = "".join(body)
    return files


def index_shop(service: JobService, workdir: Path) -> None:
    zip_path = write_zip(workdir / "shop.zip", "shop-main", SHOP_FILES)
    final = service.wait(service.enqueue("indexing.index_zip", str(zip_path), REPO), timeout_s=300)
    if final["state"] != "finished":
        raise RuntimeError(f"indexing the shop failed: {final['error']}")


def ask_and_time(service: JobService, question: str) -> tuple[dict, float]:
    t0 = time.perf_counter()
    retrieval_id, answer_id = service.ask(REPO, question, K)
    done = service.follow_answer(answer_id, retrieval_id, lambda _t: None)
    return dict(done, retrieval_id=retrieval_id, answer_id=answer_id), time.perf_counter() - t0


def bulk_pending(service: JobService) -> int:
    """Indexing work not yet done: queued jobs plus the one running."""
    return sum(Queue(q, connection=service.connection).count
               + Queue(q, connection=service.connection).started_job_registry.count for q in BULK_QUEUES)


# --- scenario 1: 100 questions from 4 client processes -----------------------------------------

def _client(home: str, settings_json: str, number: int, count: int, go, results) -> None:
    """One client process: connect as the CLI does, enqueue ``count`` questions at once, follow them."""
    try:
        os.environ[SETTINGS_ENV] = settings_json
        manager = ServiceManager(Path(home), Settings.load(Path(home))).start(workers=True)
        try:
            service = JobService(manager.connection(), manager.settings, manager.home)
            conversations = Conversations(manager.home / "app.sqlite")
            go.wait()
            asked = []
            for i in range(count):
                topic = ("payment", "cart")[(number + i) % 2]
                tag = f"c{number}q{i:02d}"
                question = f"[{tag}] {TOPICS[topic][0]}"
                conv = conversations.create(REPO, tag)
                retrieval_id, answer_id = service.ask(REPO, question, K, conv)
                asked.append({"client": number, "tag": tag, "topic": topic, "question": question,
                              "conversation": conv, "retrieval_id": retrieval_id, "answer_id": answer_id,
                              "t_enqueued": time.time()})
            for record in asked:
                tokens = []
                done = service.follow_answer(record["answer_id"], record["retrieval_id"], tokens.append)
                record.update(answer=done["answer"], tokens=len(tokens), latency_s=time.time() - record["t_enqueued"],
                              ref_paths=[r["path"] for r in done["references"]])
            results.put({"client": number, "records": asked})
        finally:
            manager.stop()
    except Exception:  # noqa: BLE001  (the parent reports it; a silent child would hang it)
        results.put({"client": number, "error": traceback.format_exc()})


@dataclasses.dataclass
class QuestionsRun:
    clients: int
    per_client: int
    records: list[dict]
    errors: list[str]                 # tracebacks of client processes
    finished: int                     # answer jobs that ended finished
    wall_s: float
    problems: list[str]

    def outcome(self) -> Outcome:
        observed = (f"{len(self.records)} answers back, {self.finished} finished in {self.wall_s:.0f} s "
                    f"({len(self.records) / self.wall_s:.2f}/s); ")
        observed += "; ".join(self.problems[:3]) if self.problems else "each done once, none swapped"
        return Outcome(f"{self.clients * self.per_client} finished, each done once, own question/refs/turn, "
                       "ids unique", observed, not self.problems)


def check_answers(service: JobService, records: list[dict], expected_total: int) -> list[str]:
    """Everything that can be lost, duplicated or swapped, read back from Redis and app.sqlite."""
    problems = []
    if len(records) != expected_total:
        problems.append(f"{len(records)} of {expected_total} questions came back")
    ids = [r[k] for r in records for k in ("retrieval_id", "answer_id")]
    if len(set(ids)) != len(ids):
        problems.append(f"{len(ids) - len(set(ids))} duplicated job ids")
    conversations = Conversations(service.home / "app.sqlite")
    conn = service.connection
    for r in records:
        answer = Job.fetch(r["answer_id"], connection=conn)
        retrieval = Job.fetch(r["retrieval_id"], connection=conn)
        for job in (retrieval, answer):
            if job.get_status().value != "finished":
                problems.append(f"{r['tag']}: {job.description} not finished ({job.get_status().value})")
            row = service.history.get(job.id)
            if row is None or row["outcome"] != "finished" or row["attempts"] != 1:
                problems.append(f"{r['tag']}: history of {job.description} is {row}")
        if answer.args[1] != r["question"] or retrieval.args[1] != r["question"] or answer.args[2] != retrieval.id:
            problems.append(f"{r['tag']}: job args swapped ({answer.args[1]!r}, {retrieval.args[1]!r})")
        dones = [f for _, f in conn.xrange(keys.ANSWER_STREAM.format(r["answer_id"])) if f[b"type"] == b"done"]
        if len(dones) != 1:
            problems.append(f"{r['tag']}: {len(dones)} done events")
        if not r["ref_paths"] or r["ref_paths"][0] != TOPICS[r["topic"]][1]:
            problems.append(f"{r['tag']}: references of another question? {r['ref_paths'][:2]}")
        turns = conversations.turns(r["conversation"])
        if [t["question"] for t in turns] != [r["question"]] or turns[0]["answer"] != r["answer"]:
            problems.append(f"{r['tag']}: conversation holds {[t['question'] for t in turns]}")
    for name in INTERACTIVE_QUEUES:
        q = Queue(name, connection=conn)
        left = {"queued": q.count, "started": q.started_job_registry.count,
                "deferred": q.deferred_job_registry.count, "failed": q.failed_job_registry.count}
        if any(left.values()):
            problems.append(f"queue {name} not empty: {left}")
    return problems


def questions_from_clients(home: Path, workdir: Path, settings: Settings, clients: int = 4,
                           per_client: int = 25) -> QuestionsRun:
    ctx = multiprocessing.get_context("spawn")  # never fork a process that holds model threads
    with running(home, settings) as service:
        index_shop(service, workdir)
        ask_and_time(service, f"[warm-up] {TOPICS['payment'][0]}")  # the worker loads its models once
        go, results = ctx.Barrier(clients + 1), ctx.Queue()
        procs = [ctx.Process(target=_client, args=(str(home), settings.to_json(), n, per_client, go, results),
                             name=f"load-client-{n}", daemon=True) for n in range(clients)]
        try:
            for p in procs:
                p.start()
            go.wait(timeout=120)
            t0 = time.perf_counter()
            replies = [results.get(timeout=900) for _ in procs]
            wall = time.perf_counter() - t0
            for p in procs:
                p.join(60)
        finally:
            for p in procs:  # a client still following answers when this run gives up
                if p.is_alive():
                    p.terminate()
        records = [r for reply in replies for r in reply.get("records", [])]
        errors = [f"client {reply['client']}: {reply['error']}" for reply in replies if "error" in reply]
        problems = [e.strip().splitlines()[-1] for e in errors] + check_answers(service, records, clients * per_client)
        finished = sum(service.status(r["answer_id"])["state"] == "finished" for r in records)
        return QuestionsRun(clients, per_client, records, errors, finished, wall, problems)


# --- scenario 2: 20 ZIPs queued at once ----------------------------------------------------------

@dataclasses.dataclass
class ZipsRun:
    expected: dict[str, int]          # repo -> files in its ZIP
    final: dict[str, dict]            # repo -> the job's final status
    listed: dict[str, dict]           # repo -> `repowiki repos --json` row
    alone: dict[str, int]             # repo -> chunks when indexed alone in a clean data dir
    wall_s: float
    problems: list[str]

    def outcome(self) -> Outcome:
        done = sum(st["state"] == "finished" for st in self.final.values())
        retried = sum((st.get("attempts") or 1) > 1 for st in self.final.values())
        observed = (f"{done}/{len(self.expected)} finished in {self.wall_s:.0f} s, {len(self.listed)} listed, "
                    f"{retried} retried, chunks alone = together for {len(self.alone)}")
        if self.problems:
            observed += "; " + "; ".join(self.problems[:3])
        return Outcome(f"{len(self.expected)} indexed, listed with file counts, chunks as alone", observed,
                       not self.problems)


def make_zips(folder: Path, count: int, modules: Callable[[int], int], functions: int, prefix: str) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    zips = {}
    for i in range(count):
        name = f"{prefix}-{i:02d}"
        zips[name] = write_zip(folder / f"{name}.zip", f"{name}-main", generated_files(name, modules(i), functions))
    return zips


def index_alone(home: Path, settings: Settings, zips: dict[str, Path]) -> dict[str, int]:
    """Chunk counts of a clean index of each ZIP, in this process, with the workers' embedder settings."""
    from repowiki_gui.core.index.indexer import index_zip
    from repowiki_gui.core.index.repositories import RepoRegistry
    from repowiki_gui.core.index.store import ChunkStore
    from repowiki_gui.core.ingest.files import IngestLimits
    from repowiki_gui.core.models.embedder import OnnxEmbedder
    from repowiki_gui.settings import prepare_home

    home = prepare_home(home)
    embedder = OnnxEmbedder(threads=settings.embed_threads, batch_size=settings.embed_batch_size,
                            max_tokens=settings.chunk_max_tokens, max_batch_tokens=settings.embed_batch_tokens)
    counts = {}
    for name, path in zips.items():
        with tempfile.TemporaryDirectory(dir=home / "tmp") as alone:  # one data dir per repo: truly alone
            report = index_zip(path, name, store=ChunkStore(Path(alone) / "lancedb", embedder.dim),
                               registry=RepoRegistry(Path(alone) / "app.sqlite"), embedder=embedder,
                               limits=IngestLimits())
            counts[name] = report.chunks
    return counts


def zips_at_once(home: Path, workdir: Path, settings: Settings, count: int = 20,
                 compare: tuple[int, ...] = (0, 7, 19)) -> ZipsRun:
    settings = dataclasses.replace(settings, bulk_workers=2)  # two writers on one LanceDB table at once
    zips = make_zips(workdir / "zips", count, lambda i: 2 + i % 5, 4, "load")
    expected = {name: len(zipfile.ZipFile(path).namelist()) for name, path in zips.items()}
    with running(home, settings) as service:
        t0 = time.perf_counter()
        jobs = {name: service.enqueue("indexing.index_zip", str(path), name) for name, path in zips.items()}
        final = {name: service.wait(job_id, timeout_s=900) for name, job_id in jobs.items()}
        wall = time.perf_counter() - t0
        for name, job_id in jobs.items():
            final[name]["attempts"] = (service.history.get(job_id) or {}).get("attempts")
    cli = subprocess.run([sys.executable, "-m", "repowiki_gui", "--home", str(home), "repos", "--json"],
                         capture_output=True, text=True, timeout=120, check=False)
    listed = {r["name"]: r for r in json.loads(cli.stdout or "[]")}
    names = list(zips)
    alone = index_alone(workdir / "alone", settings, {names[i]: zips[names[i]] for i in compare if i < count})
    problems = [f"{n}: {st['state']} ({st['error']})" for n, st in final.items() if st["state"] != "finished"]
    if cli.returncode != 0:
        problems.append(f"repowiki repos --json exited {cli.returncode}: {cli.stderr.strip()[-200:]}")
    if sorted(listed) != sorted(zips):
        problems.append(f"repos lists {len(listed)}: missing {sorted(set(zips) - set(listed))}")
    for name, files in expected.items():
        row = listed.get(name)
        result = final[name]["result"] or {}
        if row and (row["files"] != files or row["chunks"] != result.get("chunks")):
            problems.append(f"{name}: listed {row['files']} files {row['chunks']} chunks, expected {files} files")
    for name, chunks in alone.items():
        if listed.get(name, {}).get("chunks") != chunks:
            problems.append(f"{name}: {listed.get(name, {}).get('chunks')} chunks together, {chunks} alone")
    return ZipsRun(expected, final, listed, alone, wall, problems)


# --- scenario 3: answers while the bulk queue is full -----------------------------------------------

@dataclasses.dataclass
class ResponsiveRun:
    idle_s: list[float]
    loaded_s: list[float]
    pending_at_answer: list[int]      # indexing jobs queued or running when each loaded answer ended
    indexing_jobs: int
    problems: list[str]

    @property
    def ratio(self) -> float:
        return statistics.median(self.loaded_s) / statistics.median(self.idle_s)

    def outcome(self) -> Outcome:
        observed = (f"{len(self.loaded_s)} answers with {self.pending_at_answer} indexing jobs left; p50 "
                    f"{statistics.median(self.idle_s):.1f} s idle, {statistics.median(self.loaded_s):.1f} s "
                    f"loaded (x{self.ratio:.1f})")
        if self.problems:
            observed += "; " + "; ".join(self.problems[:3])
        return Outcome("each answer ends while indexing is still queued", observed, not self.problems)


def answers_under_bulk_load(home: Path, workdir: Path, settings: Settings, questions: int = 5,
                            indexing_jobs: int = 12) -> ResponsiveRun:
    zips = make_zips(workdir / "big", indexing_jobs, lambda i: 30, 6, "bulk")
    topics = list(TOPICS.values())
    problems, idle, loaded, pending = [], [], [], []
    with running(home, settings) as service:
        index_shop(service, workdir)
        ask_and_time(service, f"[warm-up] {TOPICS['payment'][0]}")
        for i in range(questions):
            idle.append(ask_and_time(service, f"[idle {i}] {topics[i % 2][0]}")[1])
        jobs = [service.enqueue("indexing.index_zip", str(path), name) for name, path in zips.items()]
        deadline = time.monotonic() + 120
        while Queue("indexing", connection=service.connection).started_job_registry.count == 0:
            if time.monotonic() > deadline:
                raise RuntimeError("no indexing job started within 120 s")
            time.sleep(0.05)
        for i in range(questions):
            done, seconds = ask_and_time(service, f"[loaded {i}] {topics[i % 2][0]}")
            pending.append(bulk_pending(service))
            loaded.append(seconds)
            state = service.status(done["answer_id"])["state"]
            if not done["answer"] or state not in ("started", "finished"):
                problems.append(f"loaded answer {i}: {state}, {done['answer']!r}")
            if pending[-1] == 0:
                problems.append(f"loaded answer {i} ended after the indexing queue drained")
        for job_id in jobs:  # the load has served its purpose: do not wait for it
            if service.status(job_id)["state"] in ("queued", "started"):
                service.cancel(job_id)
    return ResponsiveRun(idle, loaded, pending, indexing_jobs, problems)

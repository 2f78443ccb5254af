"""Every default in one place, each with a one-line why.

Settings are read from ``<home>/settings.json`` (the settings dialog and
``Settings.save`` write it); the data dir itself comes from ``--home``, ``REPOWIKI_HOME`` or
``~/.local/share/repowiki``.  Nothing here imports PySide6 or rq.
"""
from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .core.datadir import SUBDIRS
from .core.errors import SettingsError
from .core.fsutil import atomic_write_text

SETTINGS_ENV = "REPOWIKI_SETTINGS"


def _why(text: str, default):
    return field(default=default, metadata={"why": text})


@dataclass
class Settings:
    # --- services -------------------------------------------------------
    redis_url: str = _why(
        "empty: run the bundled redis-server on a unix socket in the data dir; "
        "set it to share one Redis between machines", "")
    bulk_nice: int = _why(
        "CPU niceness of bulk workers and their jobs: indexing and the wiki give way to a question "
        "being answered on the interactive worker", 19)
    bulk_workers: int = _why(
        "one forking worker per spare core; indexing is CPU bound and the "
        "machine has few cores (0: other machines do the bulk work)", 1)
    start_local_workers: bool = _why(
        "off when other machines do the bulk work against a shared Redis", True)
    redis_start_timeout_s: float = _why(
        "a cold redis-server replaying a large append-only file needs a few seconds", 20.0)
    worker_start_timeout_s: float = _why(
        "a worker imports rq and our package before it registers", 30.0)
    supervise_interval_s: float = _why(
        "how often the manager checks its children; a dead worker is "
        "replaced within this time", 0.5)
    job_monitoring_interval_s: int = _why(
        "worker heartbeat period while a job runs; short so a dead worker's "
        "job is found abandoned quickly", 5)
    worker_ttl_s: int = _why(
        "an idle worker's key lives this long without a heartbeat", 60)

    # --- job limits -----------------------------------------------------
    job_hard_limit_s: int = _why(
        "the seed's task_time_limit: 30 minutes, then the job process is killed", 30 * 60)
    job_soft_limit_s: int = _why(
        "the seed's task_soft_time_limit: 25 minutes, then the job is asked "
        "to save partial work and stop", 25 * 60)
    interactive_hard_limit_s: int = _why(
        "a chat answer that takes longer than this is stuck, not slow", 10 * 60)
    interactive_soft_limit_s: int = _why(
        "leave the answer job time to send what it has", 9 * 60)
    retry_max: int = _why("the seed: three attempts for transient errors", 3)
    retry_intervals_s: tuple[int, ...] = _why(
        "the seed's backoff: a busy disk or a restarting Redis needs seconds, "
        "not milliseconds", (10, 30, 90))
    result_ttl_s: int = _why(
        "finished job results are shown in the tasks panel for a day", 24 * 3600)
    failure_ttl_s: int = _why(
        "failed jobs stay a week for their traceback (rq's default is a year)", 7 * 24 * 3600)
    references_ttl_s: int = _why("DESIGN: retrieval references live 300 s in Redis", 300)

    # --- ingestion (limits against hostile ZIPs) -------------------------
    max_zip_members: int = _why(
        "a 20,000-file monorepo fits; millions of entries is an attack or a mistake", 200_000)
    max_uncompressed_bytes: int = _why(
        "total size after decompression; far above any source tree we index", 4 * 1024**3)
    max_compression_ratio: float = _why(
        "source text compresses ~5-20x; a member above this ratio is a bomb", 200.0)
    max_file_bytes: int = _why(
        "larger files are data or generated code, skipped and counted", 1024 * 1024)

    # --- chunking and embedding -------------------------------------------
    chunk_max_tokens: int = _why(
        "all-MiniLM-L6-v2 was trained on 256-token windows; longer text is split, never truncated",
        256)
    embed_threads: int = _why("onnxruntime intra-op threads: the machine's cores", os.cpu_count() or 2)
    embed_batch_size: int = _why("most chunks per ONNX call; length-sorted so padding stays small", 64)
    embed_batch_tokens: int = _why(
        "most padded tokens per ONNX call; measured here: 512 -> 33 chunks/s at 324 MB, "
        "4096 -> 24 chunks/s at 629 MB (small batches stay in cache)", 512)

    # --- retrieval and chat -----------------------------------------------
    llm_model: str = _why(
        "the bundled model answering and writing the wiki (`repowiki models` lists them); Qwen2.5-Coder 0.5B "
        "states the asked facts far more often than SmolLM2-135M (bench/answer_eval.py)", "qwen2.5-coder-0.5b")
    llm_model_path: str = _why(
        "a GGUF file of your own instead of the bundled model (\"Other GGUF file…\"); empty: llm_model", "")
    llm_n_ctx: int = _why("context window in tokens: room for 4-8 code references and the answer", 2048)
    llm_threads: int = _why(
        "llama.cpp threads: one core is left to the rest of the app. On 2 cores, 2 threads answer in 1.2 s "
        "idle but p95 40 s while indexing runs; 1 thread: 2.2 s and 2.7 s (bench/faults_load.py); "
        "1 thread reads the prompt at about half the speed of 2",
        max(1, min(4, (os.cpu_count() or 2) - 1)))
    llm_temperature: float = _why("low: answers should follow the sources, not invent", 0.1)
    llm_max_tokens: int = _why("answer length limit; small models ramble past this", 384)
    llm_prompt_tokens: int = _why(
        "most prompt tokens per question: on a CPU the prompt is the wait for the first token (2 cores "
        "read ~80 tokens/s with the 0.5B); bench/answer_eval.py chose it", 520)
    llm_focus_lines: int = _why(
        "lines kept of each source, the ones that mention the question's words: a small model answers "
        "better from fewer, sharper lines: 6 kept the key facts of 0.74 of the bench's questions in the prompt, "
        "10 of 0.68 (bench/answer_eval.py)", 6)
    answer_key_lines: int = _why(
        "source lines quoted word for word under each answer, those that mention the question's rarest words: "
        "with 2 the key facts a reader sees went from 0.43 (the 0.5B's sentences) to 0.52 (bench/answer_eval.py); "
        "0 quotes none", 2)
    retrieval_k: int = _why("references retrieved per question; the prompt keeps what fits", 8)
    vector_index_min_rows: int = _why(
        "past this many chunks an IVF_PQ index replaces the flat scan (100k flat: ~250 ms)", 50_000)
    min_similarity: float = _why(
        "below this cosine similarity the best reference is unrelated: say so instead of inventing",
        0.15)

    # --- maintenance ----------------------------------------------------
    cleanup_interval_s: int = _why(
        "resource_management.cleanup runs at start and then hourly", 3600)
    temp_max_age_s: int = _why(
        "a temp dir older than this whose job is not running is debris of a crash", 6 * 3600)
    history_keep_days: int = _why("task history rows older than this are pruned", 90)
    index_version_max_age_s: int = _why(
        "LanceDB keeps every commit; older than this no reader still uses one", 3600)

    @classmethod
    def load(cls, home: Path) -> "Settings":
        """Defaults overlaid with ``<home>/settings.json``; unknown keys are an error.

        A process started by the service manager gets the manager's settings in
        ``REPOWIKI_SETTINGS`` (JSON) instead, so parent and children agree.
        """
        path = Path(home) / "settings.json"
        try:
            if os.environ.get(SETTINGS_ENV):
                data = json.loads(os.environ[SETTINGS_ENV])
            elif path.exists():
                data = json.loads(path.read_text(encoding="utf-8"))
            else:
                return cls()
        except (OSError, ValueError) as exc:
            raise SettingsError(f"The settings file {path} cannot be read: {exc}.") from exc
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SettingsError(f"The settings file {path} has unknown keys: {', '.join(unknown)}.")
        if "retry_intervals_s" in data:
            data["retry_intervals_s"] = tuple(int(x) for x in data["retry_intervals_s"])
        return cls(**data)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    def save(self, home: Path) -> None:
        atomic_write_text(Path(home) / "settings.json", json.dumps(dataclasses.asdict(self), indent=2))

    @staticmethod
    def describe() -> dict[str, str]:
        """Setting name -> why it has its default (for `--help` and the dialog)."""
        return {f.name: f.metadata.get("why", "") for f in dataclasses.fields(Settings)}


def default_home() -> Path:
    env = os.environ.get("REPOWIKI_HOME")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(Path.home(), ".local", "share")
    return Path(base) / "repowiki"


def prepare_home(home: Path) -> Path:
    """Create the data dir private to the user (0700) with its standard subdirs."""
    home = Path(home).expanduser().resolve()
    old_umask = os.umask(0o077)
    try:
        for sub in ("", *SUBDIRS):
            (home / sub).mkdir(parents=True, exist_ok=True)
    finally:
        os.umask(old_umask)
    os.chmod(home, 0o700)
    return home

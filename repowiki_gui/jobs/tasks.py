"""The job functions of the seed's tasks: plain ids and paths in, plain data out.

Each reads its progress/cancel helper through ``JobProgress.current()``; the
work itself lives in ``core`` and knows nothing of jobs.
"""
from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

from rq import get_current_job

from ..core.datadir import app_db, lancedb_dir, index_lock, tmp_dir, wiki_dir
from ..core.errors import UserError
from ..core.fsutil import file_lock
from ..settings import Settings, default_home
from .history import TaskHistory
from .maintenance import clean_stale_workers, expire_registries, remove_stale_temp_dirs
from .progress import JobProgress


def _home() -> Path:
    # Workers are started with REPOWIKI_HOME set to their data dir.
    return default_home()


def cleanup() -> dict:
    """resource_management.cleanup: temp dirs, expired job data, stale worker keys, old history."""
    progress = JobProgress.current()
    job = get_current_job()
    home = _home()
    settings = Settings.load(home)
    conn = job.connection
    progress.update("registries", "Sweeping expired job data", 0, 5)
    expire_registries(conn)
    progress.update("workers", "Removing stale worker keys", 1, 5)
    workers = clean_stale_workers(conn)
    progress.update("temp", "Removing stale temp dirs", 2, 5)
    running = set()
    for key in conn.scan_iter("rq:wip:*"):
        running.update(e.decode().split(":", 1)[0] for e in conn.zrange(key, 0, -1))
    temps = remove_stale_temp_dirs(tmp_dir(home), settings.temp_max_age_s, running)
    progress.update("history", "Pruning old task history", 3, 5)
    pruned = TaskHistory(app_db(home)).prune(settings.history_keep_days)
    progress.update("lancedb", "Removing old index versions", 4, 5)
    versions = _clean_index_versions(home, settings)
    progress.update("done", "Cleanup finished", 5, 5)
    return {"stale_workers": workers, "temp_dirs": temps, "history_pruned": pruned,
            "index_versions_cleaned": versions}


def _clean_index_versions(home: Path, settings: Settings) -> bool:
    """Old LanceDB table versions: kept an hour for readers still on them, then removed."""
    if not (lancedb_dir(home) / "chunks.lance").exists():
        return False
    import lancedb

    # Concurrent index commits are safe: Lance resolves them, and a conflict is retried as transient.
    lancedb.connect(str(lancedb_dir(home))).open_table("chunks").optimize(
        cleanup_older_than=timedelta(seconds=settings.index_version_max_age_s))
    return True


def process_files(root: str, paths: list[str], batch_size: int = 10) -> dict:
    """batch.process_files: hash and measure files under ``root`` in batches, with progress."""
    progress = JobProgress.current()
    base = Path(root).resolve()
    if not base.is_dir():
        raise UserError(f"The folder {root} does not exist.")
    results = []
    total = len(paths)
    for start in range(0, total, max(1, batch_size)):
        progress.check()
        for rel in paths[start:start + batch_size]:
            path = (base / rel).resolve()
            if base not in path.parents:
                raise UserError(f"The path {rel!r} points outside {root}.")
            try:
                data = path.read_bytes()
            except OSError as exc:
                results.append({"path": rel, "error": exc.strerror or str(exc)})
                continue
            results.append({"path": rel, "bytes": len(data), "lines": data.count(b"\n"),
                            "sha256": hashlib.sha256(data).hexdigest()})
        done = min(total, start + batch_size)
        progress.update("files", f"Processed {done} of {total} files", done, total)
    return {"total_processed": len(results), "results": results}


def _repo_lock(home: Path, repo: str):
    """One writer per repository: a second index job of the same repo waits for the first."""
    return file_lock(index_lock(home, repo))


def index_zip(zip_path: str, name: str | None = None) -> dict:
    """indexing.index_zip: read the source safely (a ZIP, a .tar.gz/.tgz or a folder), select files,
    chunk, embed, write LanceDB + full-text. The seed's name is kept for every kind of source."""
    from ..core.index import indexer
    from ..core.index.repositories import RepoRegistry, repo_name_for
    from ..core.index.store import ChunkStore

    progress = JobProgress.current()
    home = _home()
    settings = Settings.load(home)
    repo = repo_name_for(Path(zip_path), name)
    if not (Path(zip_path).is_file() or Path(zip_path).is_dir()):  # a folder is read in place
        raise UserError(f"The file {zip_path} does not exist or is not a file.")
    progress.update("extract", f"Waiting for other work on {repo}", 0, 0)
    with _repo_lock(home, repo):
        embedder = _embedder(settings)
        report = indexer.index_zip(Path(zip_path), repo, store=ChunkStore(lancedb_dir(home), embedder.dim),
                                   registry=RepoRegistry(app_db(home)), embedder=embedder,
                                   limits=_limits(settings), progress=progress,
                                   vector_index_min_rows=settings.vector_index_min_rows)
    progress.update("done", f"Indexed {report.files} files, {report.chunks} chunks", 1, 1)
    return report.to_dict()


def _limits(settings: Settings):
    from ..core.ingest.files import IngestLimits

    return IngestLimits(max_zip_members=settings.max_zip_members,
                        max_uncompressed_bytes=settings.max_uncompressed_bytes,
                        max_compression_ratio=settings.max_compression_ratio,
                        max_file_bytes=settings.max_file_bytes)


def _embedder(settings: Settings):
    from ..core.models.embedder import OnnxEmbedder

    # Bulk workers fork a process per job, so the model loads here, once per job.
    return OnnxEmbedder(threads=settings.embed_threads, batch_size=settings.embed_batch_size,
                        max_tokens=settings.chunk_max_tokens, max_batch_tokens=settings.embed_batch_tokens)


def generate_specs_with_index(repo: str, spec_types: list[str] | None = None,
                              out_dir: str | None = None, index_first: bool = True) -> dict:
    """specs_v2.generate_specs_with_index: (re-)index first, then the wiki pages, then index their sections.

    ``repo`` is an indexed repository's name, or the path of a source (a ZIP, a tarball, a folder
    written as a path), indexed under its default name.
    """
    from ..core.index import indexer
    from ..core.index.repositories import RepoRegistry, check_repo_name, repo_name_for, source_path
    from ..core.index.sections import SectionStore
    from ..core.index.store import ChunkStore
    from ..core.wiki.folder import parse_spec_types
    from ..core.wiki.generation import WikiOptions, export_wiki, generate_wiki
    from . import models

    progress = JobProgress.current()
    home = _home()
    settings = Settings.load(home)
    specs = parse_spec_types(spec_types)
    registry = RepoRegistry(app_db(home))
    zip_path = source_path(repo)
    if zip_path is not None:
        zip_path, repo = zip_path.resolve(), repo_name_for(zip_path)
    else:
        repo = check_repo_name(repo)
    known = registry.get(repo)
    if zip_path is None and known is not None and index_first and Path(known.zip_path).exists():
        zip_path = Path(known.zip_path)
    if known is None and zip_path is None:
        raise UserError(f"There is no indexed repository named {repo!r}; index its ZIP first "
                        "or pass the ZIP's path.")
    embedder = _embedder(settings)
    store = ChunkStore(lancedb_dir(home), embedder.dim)
    progress.update("index", f"Waiting for other work on {repo}", 0, 0)
    with _repo_lock(home, repo):
        if zip_path is not None and (index_first or known is None):
            indexer.index_zip(zip_path, repo, store=store, registry=registry, embedder=embedder,
                              limits=_limits(settings), progress=progress,
                              vector_index_min_rows=settings.vector_index_min_rows)
        progress.update("model", "Loading the language model", 0, 0)
        generator = models.generator(settings, lambda done, total, message: progress.update(
            "model", message, done, total))
        folder = wiki_dir(home, repo)
        report = generate_wiki(repo, folder, store=store, sections=SectionStore(lancedb_dir(home), embedder.dim),
                               embedder=embedder, generator=generator, specs=specs,
                               options=WikiOptions(max_tokens=min(settings.llm_max_tokens, 256),
                                                   temperature=settings.llm_temperature,
                                                   embed_max_tokens=settings.chunk_max_tokens),
                               progress=progress)
    if out_dir:
        report.exported_to = str(export_wiki(folder, Path(out_dir), repo))
    progress.update("done", f"Wiki of {repo}: {report.pages} pages ({report.pages_reused} unchanged), "
                            f"{report.prose_generated} sections written, {report.prose_reused} reused", 1, 1)
    return report.to_dict()

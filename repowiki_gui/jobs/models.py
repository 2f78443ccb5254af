"""Models loaded once per worker process and kept (the interactive worker's reason to exist).

A bulk worker forks a job process per job, so there a model lives for one job;
the interactive worker runs jobs in-process, so the first question pays the
load and every later one reuses it.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ..settings import Settings


@lru_cache(maxsize=2)
def _embedder(threads: int, batch_size: int, max_tokens: int, batch_tokens: int):
    from ..core.embedder import OnnxEmbedder

    return OnnxEmbedder(threads=threads, batch_size=batch_size, max_tokens=max_tokens,
                        max_batch_tokens=batch_tokens)


@lru_cache(maxsize=1)
def _generator(model_path: str, n_ctx: int, threads: int):
    from ..core.llm import LlamaGenerator

    return LlamaGenerator(Path(model_path) if model_path else None, n_ctx=n_ctx, threads=threads)


def embedder(settings: Settings):
    return _embedder(settings.embed_threads, settings.embed_batch_size, settings.chunk_max_tokens,
                     settings.embed_batch_tokens)


def generator(settings: Settings):
    """The GGUF of the settings (the bundled one when empty); a changed path loads the new model."""
    return _generator(settings.llm_model_path, settings.llm_n_ctx, settings.llm_threads)

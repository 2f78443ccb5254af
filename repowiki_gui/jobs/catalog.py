"""The seed's task names, the function each runs, its queue and its policies.

A constant table, not a registry: adding a task is adding a row here.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .names import CLEANUP, GENERATE_ANSWER, GENERATE_WIKI, INDEX_ZIP, PROCESS_FILES, RETRIEVAL
from .worker import BULK_QUEUES, INTERACTIVE_QUEUES


@dataclass(frozen=True)
class TaskSpec:
    name: str          # the seed's Celery task name, kept as the rq job description
    func: str          # dotted path of a plain function taking ids and paths
    queue: str
    retry: bool        # transient failures are retried with the settings' intervals
    summary: str
    repo_arg: int | None = None   # the argument that names the repository the job is about

    def repo_of(self, args: tuple, kwargs: dict) -> str | None:
        """The repository a submission of this task is about: kept in its meta and history row."""
        if self.repo_arg is None:
            return None
        value = args[self.repo_arg] if len(args) > self.repo_arg else kwargs.get("repo") or kwargs.get("name")
        if self.name == INDEX_ZIP and not value and args:  # indexed under the ZIP's stem
            from ..core.index.repositories import default_repo_name

            value = default_repo_name(Path(str(args[0])))
        return value if isinstance(value, str) and value else None

    @property
    def interactive(self) -> bool:
        return self.queue in INTERACTIVE_QUEUES


TASKS: dict[str, TaskSpec] = {spec.name: spec for spec in (
    TaskSpec(INDEX_ZIP, "repowiki_gui.jobs.tasks.index_zip", "indexing", True,
             "safe unzip, select files, chunk, embed, write the index", repo_arg=1),
    TaskSpec(GENERATE_WIKI, "repowiki_gui.jobs.tasks.generate_specs_with_index",
             "specs", True, "static analysis and LLM prose into markdown wiki pages", repo_arg=0),
    TaskSpec(RETRIEVAL, "repowiki_gui.jobs.qa.retrieval", "retrieval", True,
             "hybrid search for a question; references kept in Redis", repo_arg=0),
    TaskSpec(GENERATE_ANSWER, "repowiki_gui.jobs.qa.generate_answer", "qa", False,
             "a streamed answer with citations from the retrieved references", repo_arg=0),
    TaskSpec(PROCESS_FILES, "repowiki_gui.jobs.tasks.process_files", "indexing", True,
             "hash and measure files in batches with progress"),
    TaskSpec(CLEANUP, "repowiki_gui.jobs.tasks.cleanup", "maintenance", True,
             "remove stale temp dirs, expired job data and stale worker keys"),
)}

ALL_QUEUES: tuple[str, ...] = INTERACTIVE_QUEUES + BULK_QUEUES


def spec_for(name: str) -> TaskSpec:
    from ..core.errors import UserError

    try:
        return TASKS[name]
    except KeyError:
        raise UserError(f"There is no task named {name!r}; known tasks: {', '.join(TASKS)}.") from None

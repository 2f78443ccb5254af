"""The seed's task names and the states a job ends in, each written once (docs/design.md, "Jobs").

No imports: the window, the command line and the workers all read these.
"""
from __future__ import annotations

INDEX_ZIP = "indexing.index_zip"
GENERATE_WIKI = "specs_v2.generate_specs_with_index"
RETRIEVAL = "qa.retrieval"
GENERATE_ANSWER = "qa.generate_answer"
PROCESS_FILES = "batch.process_files"
CLEANUP = "resource_management.cleanup"

# rq's states after which a job does nothing more ("stopped": a running job told to stop)
TERMINAL_STATES = ("finished", "failed", "stopped", "canceled")

"""The Redis keys RepoWiki writes beside rq's own, each template once (as rq keeps its key_template on its owner).

Format each with a job id: ``ANSWER_STREAM.format(job.id)``.
"""
from __future__ import annotations

CANCEL = "repowiki:cancel:{}"           # set: a running job on the interactive worker is asked to stop
PROGRESS = "repowiki:progress:{}"       # stream: the job's progress meta, then its end
REFS = "repowiki:refs:{}"               # string: a retrieval's references (JSON), kept references_ttl_s
ANSWER_STREAM = "repowiki:stream:{}"    # stream: an answer's sources, reading, tokens and done

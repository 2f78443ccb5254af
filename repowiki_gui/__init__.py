"""RepoWiki: an offline wiki and chat for a ZIP of any source repository."""

__version__ = "0.1.0"

import os as _os

# onnxruntime >= 1.25 sends usage telemetry from Linux too (1DS, with a device id under
# ~/.cache/Microsoft).  RepoWiki never talks to the network: opt out before onnxruntime loads,
# in this process and, through the environment, in every worker it starts.
_os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

"""BridgeSignals: what the window hears from the services, and what a test stand-in must offer too."""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class BridgeSignals(QObject):
    """What the window hears from the services (ServiceBridge), and what a test stand-in must offer too."""

    servicesReady = Signal(dict)
    servicesFailed = Signal(str)
    modelProgress = Signal(int, int, str)      # (bytes done, bytes in all, what): assembling the bundled model
    statusChanged = Signal(dict)
    jobsChanged = Signal(list)
    reposChanged = Signal(list)
    errorOccurred = Signal(str)
    answerStarted = Signal(str, str)
    answerToken = Signal(str, str)
    answerSources = Signal(str, list)          # (answer job, references in the prompt): before the answer
    answerReading = Signal(str, int, int)      # (answer job, prompt tokens read, of): the wait for the answer
    answerDone = Signal(str, dict)
    answerFailed = Signal(str, str)
    conversationsChanged = Signal(str, list)
    conversationLoaded = Signal(str, list)
    sourceLoaded = Signal(str, str, str)
    sourceFailed = Signal(str, str, str)       # (repo, path, why): shown in the source view itself
    wikiLoaded = Signal(str, dict)             # (repo, manifest of wiki.json; {} when there is no wiki)
    wikiPageLoaded = Signal(str, str, str)     # (repo, docs page, HTML rendered in the bridge thread)
    wikiPageFailed = Signal(str, str, str)     # (repo, docs page, why)
    wikiChanged = Signal(str)                  # a wiki job of that repository ended: reload its wiki
    wikiExported = Signal(str, str)            # (repo, folder): its HTML site is written there
    filesListed = Signal(str, list)            # (repo, [{"path", "language", "lines"}]): every indexed file
    codeSearchDone = Signal(str, list)         # (request id, [{"path", "start_line", "end_line", "symbol",
                                               #   "language", "score", "lines": [[n, text], ...]}])
    codeSearchFailed = Signal(str, str)        # (request id, why)
    request = Signal(str, object)   # (slot name, args tuple): see the module docstring

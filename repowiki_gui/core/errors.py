"""Errors a user can cause, each with a message a user understands.

A ``UserError`` is never retried by the job system: running bad input again
gives the same answer.  Everything else that escapes a job is treated as
transient (a busy disk, a restarting Redis) and may be retried.
"""


class RepoWikiError(Exception):
    """Base of every error this package raises on purpose."""


class UserError(RepoWikiError):
    """Bad input or a request that cannot be met; shown to the user as is."""


class SettingsError(UserError):
    """The settings file or a command-line option is invalid."""


class ServiceError(RepoWikiError):
    """A bundled service (Redis, a worker) could not be started or reached."""


class JobNotFound(UserError):
    """No job with that id exists (or it has expired)."""


class JobCancelled(RepoWikiError):
    """Raised inside a job at its next checkpoint after the user cancelled it."""


class SoftTimeLimitExceeded(RepoWikiError):
    """Raised inside a job at its next checkpoint once the soft time limit passed."""


class ArchiveError(UserError):
    """The ZIP cannot be indexed safely: not a ZIP, corrupt, encrypted, hostile or empty."""


class DiskFullError(UserError):
    """The disk holding the data dir has no room left; running again cannot help until space is freed."""


_DISK_FULL_TEXT = ("no space left on device", "os error 28", "database or disk is full", "disk quota exceeded")


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk is full, as an OSError or as a storage library's own error.

    LanceDB reports it as ``RuntimeError('... No space left on device (os error 28) ...')`` and
    sqlite as ``OperationalError('database or disk is full')``: neither carries an errno.
    """
    import errno

    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(exc).lower()
    return any(marker in text for marker in _DISK_FULL_TEXT)

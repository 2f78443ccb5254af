"""`repowiki mcp`: the index, the wiki and the chat as Model Context Protocol tools over stdio.

Built on the official SDK's ``MCPServer``.  stdout is the protocol: the SDK
points fd 1 at stderr while it serves, logs go to stderr, and the workers and
Redis write to the data dir's logs.  A user error (an unknown repository, a
path outside it, a page the wiki lacks) is a tool error carrying its one
sentence.  The server ends when the client closes stdin or sends SIGTERM (or
SIGHUP); then it cancels its unfinished jobs and stops what it started.
"""
# No `from __future__ import annotations`: the SDK reads the tools' annotations (Context among them) at run time.
import functools
import inspect
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Optional

import anyio
import anyio.from_thread
import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult, TextContent

from .. import __version__
from ..cli.services import data_home
from ..core.datadir import app_db, lancedb_dir, wiki_dir
from ..core.errors import RepoWikiError, UserError
from .services import SessionServices

INSTRUCTIONS = (
    "RepoWiki answers questions about source repositories indexed on this machine, offline. "
    "list_repositories names them; search_code finds code; ask answers with numbered references; "
    "read_wiki_structure and read_wiki_page read a generated wiki; read_source reads lines of an indexed file; "
    "index_archive indexes an archive, or indexes it again.")
MAX_K = 50

log = logging.getLogger(__name__)


def refusal(exc: RepoWikiError) -> CallToolResult:
    """A tool error whose text is the error's own sentence (a raised ToolError would get the SDK's prefix)."""
    return CallToolResult(content=[TextContent(type="text", text=str(exc))], is_error=True)


def refusing(tool):
    """The tool, with an error of ours (a user error, a service that cannot start) as its error result."""
    if inspect.iscoroutinefunction(tool):
        @functools.wraps(tool)
        async def guarded_async(*args, **kwargs):
            try:
                return await tool(*args, **kwargs)
            except RepoWikiError as exc:
                return refusal(exc)
        return guarded_async

    @functools.wraps(tool)
    def guarded(*args, **kwargs):
        try:
            return tool(*args, **kwargs)
        except RepoWikiError as exc:
            return refusal(exc)
    return guarded


def _known_repo(home: Path, repo: str):
    from ..core.index.repositories import RepoRegistry, check_repo_name

    found = RepoRegistry(app_db(home)).get(check_repo_name(repo))
    if found is None:
        raise UserError(f"There is no indexed repository named {repo!r}; list_repositories names them.")
    return found


def _k(k: Optional[int], default: int) -> int:
    if k is None:
        return default
    if not 1 <= k <= MAX_K:
        raise UserError(f"k is the number of references, from 1 to {MAX_K}, not {k}.")
    return k


def _reporter(ctx: Context):
    """A progress callback for a worker thread: each call sends a progress notification from the event loop."""
    def report(done: float, total: float, message: str) -> None:
        anyio.from_thread.run(ctx.report_progress, done, total, message)
    return report


async def _in_thread(services: SessionServices, work):
    """``work(call)`` in a worker thread; when the client cancels the call, its jobs are cancelled too."""
    call = services.open_call()
    try:
        return await anyio.to_thread.run_sync(lambda: work(call), abandon_on_cancel=True)
    except anyio.get_cancelled_exc_class():
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(call.cancel)
        raise
    finally:
        services.close_call(call)


def build_server(args) -> "tuple[MCPServer, SessionServices]":
    """The server and its session's services (started by the first tool that needs a job)."""
    home = data_home(args)
    services = SessionServices(args)
    server = MCPServer("repowiki", instructions=INSTRUCTIONS, version=__version__, log_level="WARNING")

    def settings():
        from ..settings import Settings
        return Settings.load(home)

    @server.tool()
    @refusing
    def list_repositories() -> dict:
        """The indexed repositories: name, files, chunks, languages, when indexed, and whether a wiki exists."""
        from ..core.index.repositories import RepoRegistry

        repos = [dict(r.to_dict(), has_wiki=(wiki_dir(home, r.name) / "wiki.json").is_file())
                 for r in RepoRegistry(app_db(home)).all()]
        return {"repositories": repos}

    @server.tool()
    @refusing
    async def search_code(repo: str, query: str, k: Optional[int] = None) -> dict:
        """Hybrid search (meaning and words) of a repository's code and wiki; the best k references with their lines."""
        count = _k(k, settings().retrieval_k)
        return await _in_thread(services, lambda call: services.search(call, repo, query, count))

    @server.tool()
    @refusing
    async def ask(repo: str, question: str, ctx: Context, k: Optional[int] = None) -> dict:
        """Answer a question about a repository with the local model, citing sources as [n]: the answer and its references.

        Progress notifications follow the work: searching, the model reading the sources, the tokens written.
        """
        count = _k(k, settings().retrieval_k)
        report = _reporter(ctx)
        return await _in_thread(services, lambda call: services.ask(call, repo, question, count, report))

    @server.tool()
    @refusing
    def read_wiki_structure(repo: str) -> dict:
        """The generated wiki of a repository: its pages in order (path, title, group) and its source pages."""
        from ..core.wiki.folder import docs_pages, load_manifest

        _known_repo(home, repo)
        manifest = load_manifest(wiki_dir(home, repo))
        if manifest is None:
            raise UserError(f"{repo} has no wiki yet; generate it first (`repowiki wiki {repo}`).")
        listed = {p["path"] for p in manifest.get("pages", [])}
        return {"repo": repo, "generated_at": manifest.get("generated_at"), "model": manifest.get("model"),
                "specs": manifest.get("specs", []), "pages": manifest.get("pages", []),
                "source_pages": [p for p in docs_pages(manifest) if p not in listed]}

    @server.tool()
    @refusing
    def read_wiki_page(repo: str, page: str) -> dict:
        """One page of a repository's wiki as markdown; page is a path read_wiki_structure lists (e.g. overview.md)."""
        from ..core.wiki.folder import read_page

        _known_repo(home, repo)
        return {"repo": repo, "page": page, "markdown": read_page(wiki_dir(home, repo), repo, page)}

    @server.tool()
    @refusing
    def read_source(repo: str, path: str, start_line: int = 1, end_line: Optional[int] = None) -> dict:
        """Lines start_line..end_line (1-based, inclusive; to the end when end_line is omitted) of an indexed file."""
        from ..core.index.sources import read_lines
        from ..core.index.store import ChunkStore
        from ..core.models.embedder import DIM

        _known_repo(home, repo)
        return read_lines(ChunkStore(lancedb_dir(home), DIM), repo, path, start_line, end_line)

    @server.tool()
    @refusing
    async def index_archive(path: str, ctx: Context, name: Optional[str] = None) -> dict:
        """Index (or re-index) the archive at path (absolute, or relative to the server's directory) as name.

        name defaults to the archive's stem. Progress notifications follow the job; the result counts files,
        chunks, and what changed since the last index.
        """
        from ..core.index.repositories import repo_name_for

        target = Path(path).expanduser().resolve()
        if not target.exists():
            raise UserError(f"The path {path} does not exist.")
        repo = repo_name_for(target, name)
        report = _reporter(ctx)
        return await _in_thread(services, lambda call: services.index(call, target, repo, report))

    return server, services


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


async def _serve(server: MCPServer, services: SessionServices) -> None:
    """Serve until the client closes stdin (then return) or a signal arrives (then stop and exit)."""
    async with anyio.create_task_group() as tg:
        tg.start_soon(_exit_on_signal, services)
        await server.run_stdio_async()
        tg.cancel_scope.cancel()


async def _exit_on_signal(services: SessionServices) -> None:
    with anyio.open_signal_receiver(*_STOP_SIGNALS) as signals:
        async for _ in signals:
            break
    # The SDK reads stdin in a thread that no cancel reaches: stop what this session started, then exit here.
    _ignore_stop_signals()
    log.info("stopping on a signal")
    services.stop()
    sys.stderr.flush()
    os._exit(0)


def _ignore_stop_signals() -> None:
    """A client's SIGTERM may come while the services stop: it must not cut that short."""
    for signum in _STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


def run_server(args) -> int:
    """``repowiki mcp``: serve one client over stdio; leave nothing running."""
    server, services = build_server(args)
    try:
        anyio.run(_serve, server, services)
    finally:
        _ignore_stop_signals()
        log.info("the client closed the session; stopping")
        services.stop()
        log.info("stopped")
    return 0

"""The command line of docs/design.md (a contract: scripts and tests depend on it).

This is one of the two places that build objects (the other is the window).

The parser and ``main`` live here; ``commands`` runs each subcommand, ``output``
prints, ``services`` finds or starts what a command needs.
"""
from __future__ import annotations

import argparse
import logging
import sys

from .. import __version__
from ..core.errors import RepoWikiError
from .commands import (
    cmd_ask, cmd_cancel, cmd_conversations, cmd_gui, cmd_index, cmd_jobs, cmd_mcp, cmd_models, cmd_remove,
    cmd_repos, cmd_search, cmd_serve, cmd_status, cmd_wiki, cmd_worker)


def _common(p: argparse.ArgumentParser, top: bool) -> None:
    default = None if top else argparse.SUPPRESS
    p.add_argument("--home", default=default, metavar="DIR",
                   help="the data dir (default: $REPOWIKI_HOME or ~/.local/share/repowiki)")
    p.add_argument("--redis-url", default=default, metavar="URL",
                   help="use this Redis instead of the bundled one (redis://:PASSWORD@HOST:PORT)")
    p.add_argument("-v", "--verbose", action="store_true", default=False if top else argparse.SUPPRESS)


def build_parser() -> argparse.ArgumentParser:
    """The parser of every subcommand, in the order ``--help`` lists them."""
    parser = argparse.ArgumentParser(prog="repowiki", description="An offline wiki and chat for a code ZIP.")
    parser.add_argument("--version", action="version", version=f"repowiki {__version__}")
    _common(parser, top=True)
    sub = parser.add_subparsers(dest="command")
    _add_gui(sub)
    _add_repository_commands(sub)
    _add_question_commands(sub)
    _add_service_commands(sub)
    return parser


def _command(sub, name: str, func, help_: str) -> argparse.ArgumentParser:
    p = sub.add_parser(name, help=help_)
    _common(p, top=False)
    p.set_defaults(func=func)
    return p


def _add_gui(sub) -> None:
    p = _command(sub, "gui", cmd_gui, "open the window (the default)")
    p.add_argument("--smoke", default=None, metavar="ZIP",
                   help="smoke test: open the window, start the services, index ZIP, ask one question, "
                        "wait for the answer, quit; exit 0 only if all of that worked")
    p.add_argument("--smoke-question", default=None, metavar="TEXT", help="the smoke test's question")
    p.add_argument("--smoke-timeout", type=float, default=None, metavar="S",
                   help="the smoke test fails after S seconds (default 300)")


def _add_repository_commands(sub) -> None:
    """index, wiki, repos, remove: the repositories and their wikis."""
    p = _command(sub, "index", cmd_index, "index (or re-index) a ZIP, a .tar.gz/.tgz or a folder; prints "
                                           "progress; exit 0 when done")
    p.add_argument("zip", metavar="PATH", help="a ZIP, a .tar.gz/.tgz archive, or a folder (read in place)")
    p.add_argument("--name", default=None,
                   help="repository name (default: the ZIP's stem, the tarball's name without .tar.gz, "
                        "the folder's name)")
    p = _command(sub, "wiki", cmd_wiki, "generate the wiki; export markdown to DIR")
    p.add_argument("repo", help="an indexed repository's name, or a ZIP, tarball or folder (as a path) "
                                "to index first")
    p.add_argument("--spec", action="append", default=None, metavar="TYPE",
                   help="overview (default), architecture, modules, api, getting-started, or all; repeatable")
    p.add_argument("--out", default=None, metavar="DIR", help="export the markdown (and mkdocs.yml) to DIR")
    p.add_argument("--export-html", default=None, metavar="DIR",
                   help="also write the wiki to DIR as an offline HTML site (pages, search, diagrams)")
    p.add_argument("--check", action="store_true",
                   help="only list the sections whose cited code changed since the wiki was written "
                        "(exit 0 when none, 3 when some are stale)")
    p.add_argument("--json", action="store_true")
    p = _command(sub, "repos", cmd_repos, "indexed repositories with file and chunk counts")
    p.add_argument("--json", action="store_true")
    p = _command(sub, "remove", cmd_remove,
                 "delete an indexed repository: its index, its wiki sections and pages")
    p.add_argument("repo")


def _add_question_commands(sub) -> None:
    """search, ask, conversations: questions about a repository."""
    repos_help = "an indexed repository, several as a,b, or all"
    p = _command(sub, "search", cmd_search, "retrieval only")
    p.add_argument("repo", help=repos_help)
    p.add_argument("query")
    p.add_argument("-k", type=int, default=None, help="number of references")
    p.add_argument("--json", action="store_true")
    p = _command(sub, "ask", cmd_ask, "retrieval + streamed answer")
    p.add_argument("repo", help=repos_help)
    p.add_argument("question")
    p.add_argument("-k", type=int, default=None, help="number of references")
    p.add_argument("--json", action="store_true")
    p.add_argument("--conversation", default=None, metavar="ID",
                   help="continue a conversation ('new' starts one); see `repowiki conversations`")
    p = _command(sub, "conversations", cmd_conversations, "earlier conversations, or the turns of one")
    p.add_argument("id", nargs="?")
    p.add_argument("--repo", default=None)
    p.add_argument("--json", action="store_true")


def _add_service_commands(sub) -> None:
    """models, status, jobs, cancel, serve, mcp, worker: the models, the services and their jobs."""
    p = _command(sub, "models", cmd_models,
                 "the bundled language models: size, measured accuracy, which is chosen")
    p.add_argument("--json", action="store_true")
    p = _command(sub, "status", cmd_status, "redis, workers, queue lengths")
    p.add_argument("--json", action="store_true")
    p = _command(sub, "jobs", cmd_jobs, "jobs with state, progress, duration")
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=int, default=30)
    p = _command(sub, "cancel", cmd_cancel, "cancel a queued job or stop a running one")
    p.add_argument("job_id")
    p = _command(sub, "serve", cmd_serve, "run Redis and the workers in the foreground until Ctrl-C")
    p.add_argument("--listen", default=None, metavar="HOST:PORT",
                   help="also serve the bundled Redis on TCP at HOST:PORT, guarded by its password, so "
                        "`repowiki worker` on other machines can join (default: unix socket only)")
    _command(sub, "mcp", cmd_mcp, "serve the repositories, wikis and chat to coding agents over the "
                                  "Model Context Protocol (stdio) until the client closes it")
    p = _command(sub, "worker", cmd_worker, "run one worker (for this or another machine)")
    p.add_argument("--queues", default=None, help="comma-separated queue names (default: all)")
    p.add_argument("--name", default=None, help=argparse.SUPPRESS)
    p.add_argument("--kind", choices=("interactive", "bulk"), default=None, help=argparse.SUPPRESS)
    p.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--burst", action="store_true", help="exit when the queues are empty")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose or args.command == "worker" else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    func = getattr(args, "func", cmd_gui)
    try:
        return func(args)
    except RepoWikiError as exc:
        print(f"repowiki: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130

"""The command line of docs/design.md (a contract: scripts and tests depend on it).

This is one of the two places that build objects (the other is the window).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from . import __version__
from .core.datadir import app_db
from .jobs.names import GENERATE_WIKI, INDEX_ZIP, RETRIEVAL
from .core.errors import RepoWikiError, ServiceError, SettingsError
from .settings import Settings, default_home, prepare_home


def _common(p: argparse.ArgumentParser, top: bool) -> None:
    default = None if top else argparse.SUPPRESS
    p.add_argument("--home", default=default, metavar="DIR",
                   help="the data dir (default: $REPOWIKI_HOME or ~/.local/share/repowiki)")
    p.add_argument("--redis-url", default=default, metavar="URL",
                   help="use this Redis instead of the bundled one (redis://:PASSWORD@HOST:PORT)")
    p.add_argument("-v", "--verbose", action="store_true", default=False if top else argparse.SUPPRESS)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="repowiki", description="An offline wiki and chat for a code ZIP.")
    parser.add_argument("--version", action="version", version=f"repowiki {__version__}")
    _common(parser, top=True)
    sub = parser.add_subparsers(dest="command")

    def cmd(name, func, help_):
        p = sub.add_parser(name, help=help_)
        _common(p, top=False)
        p.set_defaults(func=func)
        return p

    p = cmd("gui", cmd_gui, "open the window (the default)")
    p.add_argument("--smoke", default=None, metavar="ZIP",
                   help="smoke test: open the window, start the services, index ZIP, ask one question, "
                        "wait for the answer, quit; exit 0 only if all of that worked")
    p.add_argument("--smoke-question", default=None, metavar="TEXT", help="the smoke test's question")
    p.add_argument("--smoke-timeout", type=float, default=None, metavar="S",
                   help="the smoke test fails after S seconds (default 300)")
    p = cmd("index", cmd_index, "index (or re-index) a ZIP; prints progress; exit 0 when done")
    p.add_argument("zip")
    p.add_argument("--name", default=None, help="repository name (default: the ZIP's stem)")
    p = cmd("wiki", cmd_wiki, "generate the wiki; export markdown to DIR")
    p.add_argument("repo", help="an indexed repository's name, or a ZIP to index first")
    p.add_argument("--spec", action="append", default=None, metavar="TYPE",
                   help="overview (default), architecture, modules, api, getting-started, or all; repeatable")
    p.add_argument("--out", default=None, metavar="DIR", help="export the markdown (and mkdocs.yml) to DIR")
    p.add_argument("--json", action="store_true")
    p = cmd("repos", cmd_repos, "indexed repositories with file and chunk counts")
    p.add_argument("--json", action="store_true")
    p = cmd("remove", cmd_remove, "delete an indexed repository: its index, its wiki sections and pages")
    p.add_argument("repo")
    p = cmd("search", cmd_search, "retrieval only")
    p.add_argument("repo")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=None, help="number of references")
    p.add_argument("--json", action="store_true")
    p = cmd("ask", cmd_ask, "retrieval + streamed answer")
    p.add_argument("repo")
    p.add_argument("question")
    p.add_argument("-k", type=int, default=None, help="number of references")
    p.add_argument("--json", action="store_true")
    p.add_argument("--conversation", default=None, metavar="ID",
                   help="continue a conversation ('new' starts one); see `repowiki conversations`")
    p = cmd("conversations", cmd_conversations, "earlier conversations, or the turns of one")
    p.add_argument("id", nargs="?")
    p.add_argument("--repo", default=None)
    p.add_argument("--json", action="store_true")
    p = cmd("models", cmd_models, "the bundled language models: size, measured accuracy, which is chosen")
    p.add_argument("--json", action="store_true")
    p = cmd("status", cmd_status, "redis, workers, queue lengths")
    p.add_argument("--json", action="store_true")
    p = cmd("jobs", cmd_jobs, "jobs with state, progress, duration")
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=int, default=30)
    p = cmd("cancel", cmd_cancel, "cancel a queued job or stop a running one")
    p.add_argument("job_id")
    p = cmd("serve", cmd_serve, "run Redis and the workers in the foreground until Ctrl-C")
    p.add_argument("--listen", default=None, metavar="HOST:PORT",
                   help="also serve the bundled Redis on TCP at HOST:PORT, guarded by its password, so "
                        "`repowiki worker` on other machines can join (default: unix socket only)")
    p = cmd("worker", cmd_worker, "run one worker (for this or another machine)")
    p.add_argument("--queues", default=None, help="comma-separated queue names (default: all)")
    p.add_argument("--name", default=None, help=argparse.SUPPRESS)
    p.add_argument("--kind", choices=("interactive", "bulk"), default=None, help=argparse.SUPPRESS)
    p.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    return parser


def _home(args) -> Path:
    return prepare_home(Path(args.home).expanduser() if args.home else default_home())


def _manager(args):
    from .jobs.manager import ServiceManager

    home = _home(args)
    return ServiceManager(home, Settings.load(home), redis_url=args.redis_url)


def _prepare_model(settings: Settings) -> None:
    """Assemble the bundled model before workers need it, with progress on stderr (the first run only).

    On a terminal one line counts up in place; otherwise (a log, a pipe) a line
    when assembly starts and one when it ends, so stderr stays readable.
    """
    from .core.models.catalog import resolve

    tty = sys.stderr.isatty()
    shown = [-1]

    def progress(done: int, total: int, message: str) -> None:
        pct = int(100 * done / total) if total else 100
        if pct == shown[0]:
            return
        if tty:
            print(f"\r  {message}: {pct}%", end="\n" if pct == 100 else "", file=sys.stderr, flush=True)
        elif shown[0] < 0 or pct == 100:
            print(f"  {message}: {'done' if pct == 100 else 'started (first start only)'}",
                  file=sys.stderr, flush=True)
        shown[0] = pct

    resolve(settings.llm_model, settings.llm_model_path, progress)


def _start(args):
    """The services with workers, the settings' model assembled first."""
    manager = _manager(args)
    _prepare_model(manager.settings)
    return manager.start(workers=True)


def _service(manager):
    from .jobs.service import JobService

    return JobService(manager.connection(), manager.settings, manager.home)


def _print_json(obj) -> None:
    print(json.dumps(obj, indent=2, default=str))


# --- commands ---------------------------------------------------------------
def cmd_gui(args) -> int:
    from .ui.app import run_gui

    return run_gui(_home(args), args.redis_url, smoke_zip=getattr(args, "smoke", None),
                   smoke_question=getattr(args, "smoke_question", None),
                   smoke_timeout_s=getattr(args, "smoke_timeout", None))


def _print_progress(status: dict) -> None:
    prog = status.get("progress") or {}
    if status["state"] == "queued":
        print("  queued: waiting for a worker", flush=True)
    elif prog and status["state"] == "started":
        count = f" {prog['processed']}/{prog['total']}" if prog.get("total") else ""
        print(f"  [{prog.get('stage', '?')}]{count} {prog.get('progress', 0):5.1f}%  {prog.get('message', '')}",
              flush=True)


def _run_job(args, what: str, task: str, *job_args) -> dict | int:
    """Enqueue ``task``, print its progress until it ends; its final status, or the exit code of a failure."""
    manager = _start(args)
    try:
        service = _service(manager)
        job_id = service.enqueue(task, *job_args)
        print(f"{what} (job {job_id})", flush=True)
        try:
            final = service.wait(job_id, on_update=_print_progress)
        except KeyboardInterrupt:
            service.cancel(job_id)
            service.wait(job_id, timeout_s=30)
            print("repowiki: cancelled", file=sys.stderr)
            return 130
    finally:
        manager.stop()
    if final["state"] != "finished":
        print(f"repowiki: {final.get('error') or final['state']}", file=sys.stderr)
        return 1
    return final


def cmd_index(args) -> int:
    from .core.errors import UserError
    from .core.index.repositories import check_repo_name, default_repo_name

    zip_path = Path(args.zip).expanduser().resolve()
    if not zip_path.is_file():
        raise UserError(f"The file {args.zip} does not exist or is not a file.")
    name = check_repo_name(args.name or default_repo_name(zip_path))
    final = _run_job(args, f"indexing {zip_path.name} as {name}", INDEX_ZIP, str(zip_path), name)
    if isinstance(final, int):
        return final
    r = final["result"]
    note = " (unchanged: nothing to do)" if r["unchanged"] else (
        f" ({r['changed_files']} changed, {r['removed_files']} removed files; "
        f"{r['embedded']} chunks embedded, {r['reused_vectors']} reused)")
    print(f"indexed {name}: {r['files']} files, {r['chunks']} chunks in {r['timings']['total_s']:.1f} s{note}")
    return 0


def cmd_remove(args) -> int:
    from .core.index.repositories import remove_repository

    remove_repository(_home(args), args.repo)
    print(f"removed {args.repo}")
    return 0


def cmd_repos(args) -> int:
    from .core.index.repositories import RepoRegistry

    repos = [r.to_dict() for r in RepoRegistry(app_db(_home(args))).all()]
    if args.json:
        _print_json(repos)
        return 0
    if not repos:
        print("no repositories yet: `repowiki index ZIP`")
    for r in repos:
        langs = ", ".join(f"{k} {v}" for k, v in sorted(r["languages"].items(), key=lambda kv: -kv[1]))
        skipped = ", ".join(f"{k} {v}" for k, v in sorted(r["skipped"].items())) or "none"
        print(f"{r['name']}: {r['files']} files, {r['chunks']} chunks, indexed {r['indexed_at']}\n"
              f"  languages: {langs}\n  skipped: {skipped}\n  zip sha256: {r['zip_sha256']}")
    return 0


def cmd_wiki(args) -> int:
    from .core.wiki.folder import parse_spec_types

    specs = parse_spec_types(args.spec)  # a bad --spec fails here, before any service starts
    repo = args.repo
    if repo.lower().endswith(".zip") and Path(repo).expanduser().is_file():
        repo = str(Path(repo).expanduser().resolve())
    out = str(Path(args.out).expanduser().resolve()) if args.out else None
    final = _run_job(args, f"writing the wiki of {Path(repo).name} ({', '.join(specs)})",
                     GENERATE_WIKI, repo, specs, out)
    if isinstance(final, int):
        return final
    r = final["result"]
    if args.json:
        _print_json(r)
        return 0
    g = r["grounding_final"]
    print(f"wiki of {r['repo']}: {r['pages']} pages ({r['pages_written']} written, {r['pages_reused']} unchanged), "
          f"{r['prose_generated']} sections written by the model, {r['prose_reused']} reused, "
          f"in {r['total_s']:.1f} s")
    print(f"  names checked: {g['paths_ok']}/{g['paths']} paths, {g['identifiers_ok']}/{g['identifiers']} "
          f"identifiers found in the index")
    print(f"  folder: {r['folder']}" + (f"\n  exported to: {r['exported_to']}" if r["exported_to"] else ""))
    return 0


def cmd_models(args) -> int:
    from .core.models.catalog import BUNDLED

    settings = Settings.load(_home(args))
    chosen = "" if settings.llm_model_path else settings.llm_model
    rows = [dict(m.to_json(), chosen=m.id == chosen) for m in BUNDLED]
    if args.json:
        _print_json({"models": rows, "model_path": settings.llm_model_path or None})
        return 0
    for m, row in zip(BUNDLED, rows):
        mark = "*" if row["chosen"] else " "
        state = "installed" if row["installed"] else f"not installed: {row['install_hint']}"
        print(f"{mark} {m.id:20s} {m.describe()}  ({state})")
    if settings.llm_model_path:
        print(f"* file: {settings.llm_model_path}")
    return 0


def _print_refs(refs: list[dict]) -> None:
    for i, r in enumerate(refs, 1):
        symbol = f"  {r['symbol']}" if r["symbol"] else ""
        print(f"[{i}] {r['path']}:{r['start_line']}-{r['end_line']}{symbol}  ({r['kind']}, {r['score']:.2f})")


def cmd_search(args) -> int:
    manager = _start(args)
    try:
        service = _service(manager)
        k = args.k or manager.settings.retrieval_k
        t0 = time.perf_counter()
        job_id = service.enqueue(RETRIEVAL, args.repo, args.query, k)
        final = service.wait(job_id, poll_s=0.05)
        elapsed_ms = (time.perf_counter() - t0) * 1000
    finally:
        manager.stop()
    if final["state"] != "finished":
        print(f"repowiki: {final['error']}", file=sys.stderr)
        return 1
    refs = final["result"]["references"]
    if args.json:
        _print_json({"question": args.query, "references": refs,
                     "timings": {"retrieval_ms": round(final["result"]["retrieval_ms"], 1),
                                 "total_ms": round(elapsed_ms, 1)}})
    elif refs:
        _print_refs(refs)
    else:
        print("nothing found")
    return 0


class _ReadingLine:
    """"Reading the sources: 40%" on stderr while the model reads the prompt, gone when the answer starts.

    On a terminal the line is rewritten in place and erased; elsewhere one
    line is printed when reading starts, so logs stay short.
    """

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.shown = False

    def update(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        if self.tty:
            print(f"\r  Reading the sources: {100 * done // total}%", end="", file=sys.stderr, flush=True)
        elif not self.shown:
            print(f"  Reading the sources ({total} tokens)…", file=sys.stderr, flush=True)
        self.shown = True

    def end(self) -> None:
        if self.shown and self.tty:
            print("\r\033[K", end="", file=sys.stderr, flush=True)
        self.shown = False


def cmd_ask(args) -> int:
    manager = _start(args)
    try:
        service = _service(manager)
        conv_id = service.open_conversation(args.repo, args.question, args.conversation)
        k = args.k or manager.settings.retrieval_k
        t0 = time.perf_counter()
        first = []
        retrieval_id, answer_id = service.ask(args.repo, args.question, k, conv_id)

        shown_sources = []
        reading = _ReadingLine(enabled=not args.json)

        def on_sources(refs: list[dict]) -> None:
            if not args.json and refs:  # read them while the model does
                print("Sources:")
                _print_refs(refs)
                print(flush=True)
                shown_sources.append(True)

        def on_token(text: str) -> None:
            if not first:
                first.append(time.perf_counter())
                reading.end()
            if not args.json:
                print(text, end="", flush=True)

        try:
            done = service.follow_answer(answer_id, retrieval_id, on_token, on_sources=on_sources,
                                         on_reading=reading.update)
        except KeyboardInterrupt:
            service.cancel(answer_id)
            print("\nrepowiki: stopped", file=sys.stderr)
            return 130
        total_ms = (time.perf_counter() - t0) * 1000
        retrieval = service.status(retrieval_id)["result"] or {}
    finally:
        manager.stop()
    timings = {"retrieval_ms": round(retrieval.get("retrieval_ms", 0.0), 1),
               "first_token_ms": round((first[0] - t0) * 1000, 1) if first else None,
               "total_ms": round(total_ms, 1)}
    if args.json:
        out = {"question": args.question, "answer": done["answer"], "references": done["references"],
               "timings": timings}
        if conv_id:
            out["conversation"] = conv_id
        _print_json(out)
        return 0
    print()
    if done["references"] and not shown_sources:
        print("\nSources:")
        _print_refs(done["references"])
    if conv_id:
        print(f"(conversation {conv_id}: continue with --conversation {conv_id})")
    return 0


def cmd_conversations(args) -> int:
    from .core.qa.conversations import Conversations

    conversations = Conversations(app_db(_home(args)))
    data = conversations.turns(args.id) if args.id else conversations.list(args.repo)
    if args.id:
        conversations.get(args.id)
    if args.json:
        _print_json(data)
        return 0
    for item in data:
        if args.id:
            print(f"Q: {item['question']}\nA: {item['answer']}\n")
        else:
            print(f"{item['id']}  {item['repo']:<20} {item['updated_at']}  {item['title']}")
    return 0


def cmd_status(args) -> int:
    """Report without starting anything: a status call must not change what runs."""
    manager = _manager(args)
    info = manager.status()
    if info["redis"].get("running"):
        info.update(_service(manager).monitor())
    if args.json:
        _print_json(info)
        return 0 if info["redis"].get("running") else 3
    r = info["redis"]
    print(f"data dir: {info['home']}")
    if not r.get("running"):
        print(f"redis:    not running ({r['url']})")
        return 3
    print(f"redis:    running, version {r['version']}, pid {r['pid']}, {r['url']}"
          f"{', tcp port ' + str(r['tcp_port']) if r.get('tcp_port') else ', no TCP port'}")
    print(f"workers:  {len(info['workers'])}")
    for w in info["workers"]:
        job = f" running {w['current_job']}" if w["current_job"] else ""
        print(f"  {w['name']:<48} {w['state']:<10} {','.join(w['queues'])}{job}  heartbeat {w['last_heartbeat']}")
    print("queues:   " + "  ".join(f"{q}: {c['queued']} queued/{c['started']} started/{c['failed']} failed"
                                   for q, c in info["queues"].items()))
    return 0


def _fmt_duration(seconds) -> str:
    if seconds is None:
        return "-"
    return f"{seconds:.1f}s" if seconds < 120 else f"{seconds / 60:.1f}m"


def cmd_jobs(args) -> int:
    manager = _manager(args).start(workers=False)
    try:
        jobs = _service(manager).jobs(args.limit)
    finally:
        manager.stop()
    if args.json:
        _print_json(jobs)
        return 0
    if not jobs:
        print("no jobs yet")
    for j in jobs:
        prog = j.get("progress") or {}
        pct = f"{prog['progress']:5.1f}%" if "progress" in prog else "     -"
        msg = j.get("error") or prog.get("message") or ""
        print(f"{j['id'][:12]}  {j['name'] or '?':<36} {j['queue']:<12} {j['state']:<9} {pct} "
              f"{_fmt_duration(j.get('duration_s')):>7}  {msg[:60]}")
    return 0


def cmd_cancel(args) -> int:
    manager = _manager(args).start(workers=False)
    try:
        outcome = _service(manager).cancel(args.job_id)
    finally:
        manager.stop()
    print(f"{args.job_id}: {outcome}")
    return 0


def _parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")  # [::1]:6380
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SettingsError(f"--listen takes HOST:PORT (e.g. 10.0.0.5:6380), not {text!r}.")
    return host, int(port)


def _listening_redis(manager, listen: tuple[str, int]):
    """Start this data dir's Redis with a TCP port, or check that the running one has it."""
    from .jobs.redis_server import RedisServer

    server = RedisServer(manager.home, manager.settings.redis_start_timeout_s, listen=listen)
    if server.ping():
        client = server.client()
        try:
            port = client.info("server").get("tcp_port")
            bind = client.config_get("bind").get("bind", "")
        finally:
            client.close()
        if port != listen[1] or listen[0] not in bind.split():
            where = f"TCP {bind}:{port}" if port else "no TCP port"
            raise ServiceError(f"A Redis for {manager.home} already runs with {where}; stop the window or "
                               f"`repowiki serve` that started it, then run `repowiki serve --listen` again.")
    else:
        server.ensure()
    return server


def cmd_serve(args) -> int:
    manager = _manager(args)
    listen = _parse_listen(args.listen) if args.listen else None
    if listen and manager.redis_url:
        raise SettingsError("--listen serves the bundled Redis on TCP; it cannot be combined with an "
                            "external Redis (--redis-url or the redis_url setting).")
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    server = _listening_redis(manager, listen) if listen else None
    try:
        manager.start(workers=True)  # adopts the server started above: this process owns it
    except BaseException:
        if server is not None:
            server.stop()
        raise
    try:
        if listen and manager.redis is not None:
            manager.redis.listen = listen  # a restart by the supervisor keeps the TCP port
        info = manager.status()
        print(f"repowiki: serving {info['home']} (redis {info['redis']['url']}, "
              f"{len(manager.workers)} workers started); Ctrl-C to stop", flush=True)
        if listen:
            host = f"[{listen[0]}]" if ":" in listen[0] else listen[0]
            url = f"redis://:{server.password()}@{host}:{listen[1]}/0"
            hint = " (put this machine's address for 0.0.0.0)" if listen[0] in ("0.0.0.0", "::") else ""
            print(f"repowiki: Redis also listens on TCP {host}:{listen[1]}; on another machine run{hint}:\n"
                  f"  repowiki worker --redis-url '{url}' --home SHARED_DIR --queues indexing,specs",
                  flush=True)
        done.wait()
    finally:
        print("repowiki: stopping", flush=True)
        manager.stop()
    return 0


def _external_redis(url: str):
    """A checked connection to the Redis at ``url``: one clear sentence if it cannot be used."""
    import redis

    from .jobs.redis_server import redacted_url

    safe = redacted_url(url)
    try:
        # No socket_timeout: rq blocks in BLPOP for longer than any short timeout.
        conn = redis.Redis.from_url(url, socket_connect_timeout=10, socket_keepalive=True)
    except ValueError as exc:
        raise SettingsError(f"The Redis URL {safe} is not valid ({exc}); use redis://:PASSWORD@HOST:PORT.") from exc
    try:
        conn.ping()
    except redis.AuthenticationError as exc:
        if not conn.connection_pool.connection_kwargs.get("password"):
            raise ServiceError(f"The Redis server at {safe} wants a password; give it in the URL "
                               "(redis://:PASSWORD@HOST:PORT, as `repowiki serve --listen` prints it).") from exc
        raise ServiceError(f"The Redis server at {safe} refused the password ({exc}); use the URL that "
                           "`repowiki serve --listen` printed.") from exc
    except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
        raise ServiceError(f"The Redis server at {safe} cannot be reached ({exc}).") from exc
    except redis.RedisError as exc:  # something answers there, but not a Redis we can use
        raise ServiceError(f"The server at {safe} does not answer as Redis ({exc}).") from exc
    return conn


def cmd_worker(args) -> int:
    import redis

    from .jobs.catalog import ALL_QUEUES
    from .jobs.redis_server import RedisServer, redacted_url
    from .jobs.worker import run_worker

    home = _home(args)
    settings = Settings.load(home)
    queues = [q for q in (args.queues.split(",") if args.queues else ALL_QUEUES) if q]
    unknown = sorted(set(queues) - set(ALL_QUEUES))
    if unknown:
        raise SettingsError(f"Unknown queue(s) {', '.join(unknown)}; queues are {', '.join(ALL_QUEUES)}.")
    url = args.redis_url or os.environ.get("REPOWIKI_REDIS_URL") or settings.redis_url
    if url:
        conn = _external_redis(url)
        where = redacted_url(url)
    else:
        server = RedisServer(home)
        if not server.ping():
            raise ServiceError(f"No Redis is running for {home}; start `repowiki serve` or pass --redis-url.")
        conn = server.client()
        where = f"unix://{server.socket_path}"
    os.environ["REPOWIKI_HOME"] = str(home)
    try:
        run_worker(conn, queues, home=home, name=args.name, kind=args.kind, burst=args.burst,
                   parent_pid=args.parent_pid, monitoring_interval_s=settings.job_monitoring_interval_s,
                   worker_ttl_s=settings.worker_ttl_s, result_ttl_s=settings.result_ttl_s)
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        # rq retries while it waits for a job; a connection lost during a job ends up here.
        raise ServiceError(f"The worker lost its Redis at {where} ({exc}); start it again when Redis is back "
                           "(its unfinished job is failed as abandoned, or retried).") from exc
    return 0


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

"""One function per subcommand of the contract (docs/design.md, "Command line"); each returns the exit code."""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

from ..core.datadir import app_db
from ..jobs.names import GENERATE_WIKI, INDEX_ZIP, RETRIEVAL
from ..core.errors import ServiceError, SettingsError
from ..settings import Settings
from .output import ReadingLine, fmt_duration, print_json, print_progress, print_refs
from .services import (
    data_home, external_redis, job_service, listening_redis, make_manager, parse_listen,
    start_services)


# --- commands ---------------------------------------------------------------
def cmd_gui(args) -> int:
    from ..ui.app import run_gui

    return run_gui(data_home(args), args.redis_url, smoke_zip=getattr(args, "smoke", None),
                   smoke_question=getattr(args, "smoke_question", None),
                   smoke_timeout_s=getattr(args, "smoke_timeout", None))


def _run_job(args, what: str, task: str, *job_args) -> dict | int:
    """Enqueue ``task``, print its progress until it ends; its final status, or the exit code of a failure."""
    manager = start_services(args)
    try:
        service = job_service(manager)
        job_id = service.enqueue(task, *job_args)
        print(f"{what} (job {job_id})", flush=True)
        try:
            final = service.wait(job_id, on_update=print_progress)
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
    from ..core.errors import UserError
    from ..core.index.repositories import repo_name_for

    zip_path = Path(args.zip).expanduser().resolve()  # a ZIP, a .tar.gz/.tgz or a folder read in place
    if not (zip_path.is_file() or zip_path.is_dir()):
        raise UserError(f"The file {args.zip} does not exist or is not a file.")
    name = repo_name_for(zip_path, args.name)
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
    from ..core.index.repositories import remove_repository

    remove_repository(data_home(args), args.repo)
    print(f"removed {args.repo}")
    return 0


def cmd_repos(args) -> int:
    from ..core.index.repositories import RepoRegistry

    repos = [r.to_dict() for r in RepoRegistry(app_db(data_home(args))).all()]
    if args.json:
        print_json(repos)
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
    from ..core.wiki.folder import parse_spec_types

    if args.check:
        return _check_wiki(args)
    specs = parse_spec_types(args.spec)  # a bad --spec fails here, before any service starts
    from ..core.index.repositories import default_repo_name, source_path

    repo, source = args.repo, source_path(args.repo)
    if source is not None:  # a ZIP, tarball or folder to index first: the worker gets its absolute path
        repo = str(source.resolve())
    out = str(Path(args.out).expanduser().resolve()) if args.out else None
    site = Path(args.export_html).expanduser().resolve() if args.export_html else None
    if site is not None:   # a folder it may not write fails now, not after the model has written the wiki
        from ..core.wiki.site import check_target
        check_target(site, default_repo_name(Path(repo)) if source is not None else repo)
    final = _run_job(args, f"writing the wiki of {Path(repo).name} ({', '.join(specs)})",
                     GENERATE_WIKI, repo, specs, out)
    if isinstance(final, int):
        return final
    r = final["result"]
    if site is not None:
        from ..core.wiki.site import export_html_site
        r["html_exported_to"] = str(export_html_site(Path(r["folder"]), site, r["repo"]))
    if args.json:
        print_json(r)
        return 0
    g = r["grounding_final"]
    print(f"wiki of {r['repo']}: {r['pages']} pages ({r['pages_written']} written, {r['pages_reused']} unchanged), "
          f"{r['prose_generated']} sections written by the model, {r['prose_reused']} reused, "
          f"in {r['total_s']:.1f} s")
    print(f"  names checked: {g['paths_ok']}/{g['paths']} paths, {g['identifiers_ok']}/{g['identifiers']} "
          f"identifiers found in the index")
    print(f"  folder: {r['folder']}" + (f"\n  exported to: {r['exported_to']}" if r["exported_to"] else ""))
    if site is not None:
        print(f"  HTML site: {r['html_exported_to']}/index.html")
    return 0


def _check_wiki(args) -> int:
    """``wiki REPO --check``: the sections whose cited code changed since the wiki was written; exit 3 if any."""
    from ..core.errors import UserError
    from ..core.index.repositories import default_repo_name, source_path
    from ..core.wiki.stale import check_wiki

    if args.out or args.export_html or args.spec:
        raise UserError("--check only reads the wiki; run it without --spec, --out or --export-html.")
    source = source_path(args.repo)
    repo = default_repo_name(source) if source is not None else args.repo
    manifest, stale = check_wiki(data_home(args), repo)
    if args.json:
        print_json({"repo": repo, "generated_at": manifest.get("generated_at"), "fresh": not stale,
                    "stale": [s.to_json() for s in stale]})
        return 3 if stale else 0
    if not stale:
        print(f"wiki of {repo}: fresh (the code its sections cite is unchanged since {manifest.get('generated_at')})")
        return 0
    print(f"wiki of {repo}: {len(stale)} stale sections (the code under them changed since the wiki was written; "
          f"`repowiki wiki {repo}` rewrites them)")
    for s in stale:
        print(f"  {s.page}: {s.title}: " + ", ".join(span.label() for span in s.changed))
    return 3


def cmd_models(args) -> int:
    from ..core.models.catalog import BUNDLED

    settings = Settings.load(data_home(args))
    chosen = "" if settings.llm_model_path else settings.llm_model
    rows = [dict(m.to_json(), chosen=m.id == chosen) for m in BUNDLED]
    if args.json:
        print_json({"models": rows, "model_path": settings.llm_model_path or None})
        return 0
    for m, row in zip(BUNDLED, rows):
        mark = "*" if row["chosen"] else " "
        state = "installed" if row["installed"] else f"not installed: {row['install_hint']}"
        print(f"{mark} {m.id:20s} {m.describe()}  ({state})")
    if settings.llm_model_path:
        print(f"* file: {settings.llm_model_path}")
    return 0


def cmd_search(args) -> int:
    manager = start_services(args)
    try:
        service = job_service(manager)
        k = args.k or manager.settings.retrieval_k
        t0 = time.perf_counter()
        result = service.result_of(service.enqueue(RETRIEVAL, args.repo, args.query, k), poll_s=0.05)
        elapsed_ms = (time.perf_counter() - t0) * 1000
    finally:
        manager.stop()
    refs = result["references"]
    if args.json:
        print_json({"question": args.query, "references": refs,
                     "timings": {"retrieval_ms": round(result["retrieval_ms"], 1),
                                 "total_ms": round(elapsed_ms, 1)}})
    elif refs:
        print_refs(refs)
    else:
        print("nothing found")
    return 0


def cmd_ask(args) -> int:
    manager = start_services(args)
    try:
        service = job_service(manager)
        conv_id = service.open_conversation(args.repo, args.question, args.conversation)
        k = args.k or manager.settings.retrieval_k
        t0 = time.perf_counter()
        first = []
        retrieval_id, answer_id = service.ask(args.repo, args.question, k, conv_id)

        shown_sources = []
        reading = ReadingLine(enabled=not args.json)

        def on_sources(refs: list[dict]) -> None:
            if not args.json and refs:  # read them while the model does
                print("Sources:")
                print_refs(refs)
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
        print_json(out)
        return 0
    print()
    if done["references"] and not shown_sources:
        print("\nSources:")
        print_refs(done["references"])
    if conv_id:
        print(f"(conversation {conv_id}: continue with --conversation {conv_id})")
    return 0


def cmd_conversations(args) -> int:
    from ..core.qa.conversations import Conversations

    home = data_home(args)
    conversations = Conversations(app_db(home))
    data = conversations.turns(args.id) if args.id else conversations.list(args.repo)
    if args.id:
        from ..core.qa.stale import indexed_text, mark_stale

        repo = conversations.get(args.id)["repo"]
        data = mark_stale(app_db(home), args.id, data, repo, indexed_text(home))  # answers whose code changed
    if args.json:
        print_json(data)
        return 0
    for item in data:
        if args.id:
            print(f"Q: {item['question']}\nA: {item['answer']}\n")
            if item.get("stale"):
                changed = ", ".join(f"{r['path']}:{r['start_line']}-{r['end_line']}" for r in item["references"]
                                    if r.get("stale"))
                print(f"(stale: the code this answer cites changed since: {changed})\n")
        else:
            print(f"{item['id']}  {item['repo']:<20} {item['updated_at']}  {item['title']}")
    return 0


def cmd_status(args) -> int:
    """Report without starting anything: a status call must not change what runs."""
    manager = make_manager(args)
    info = manager.status()
    if info["redis"].get("running"):
        info.update(job_service(manager).monitor())
    if args.json:
        print_json(info)
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


def cmd_jobs(args) -> int:
    manager = make_manager(args).start(workers=False)
    try:
        jobs = job_service(manager).jobs(args.limit)
    finally:
        manager.stop()
    if args.json:
        print_json(jobs)
        return 0
    if not jobs:
        print("no jobs yet")
    for j in jobs:
        prog = j.get("progress") or {}
        pct = f"{prog['progress']:5.1f}%" if "progress" in prog else "     -"
        msg = j.get("error") or prog.get("message") or ""
        print(f"{j['id'][:12]}  {j['name'] or '?':<36} {j['queue']:<12} {j['state']:<9} {pct} "
              f"{fmt_duration(j.get('duration_s')):>7}  {msg[:60]}")
    return 0


def cmd_cancel(args) -> int:
    manager = make_manager(args).start(workers=False)
    try:
        outcome = job_service(manager).cancel(args.job_id)
    finally:
        manager.stop()
    print(f"{args.job_id}: {outcome}")
    return 0


def cmd_serve(args) -> int:
    manager = make_manager(args)
    listen = parse_listen(args.listen) if args.listen else None
    if listen and manager.redis_url:
        raise SettingsError("--listen serves the bundled Redis on TCP; it cannot be combined with an "
                            "external Redis (--redis-url or the redis_url setting).")
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    server = listening_redis(manager, listen) if listen else None
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


def cmd_mcp(args) -> int:
    """An MCP server over stdio until the client closes it (repowiki_gui/mcp_server)."""
    from ..mcp_server.server import run_server

    return run_server(args)


def cmd_worker(args) -> int:
    import redis

    from ..jobs.catalog import ALL_QUEUES
    from ..jobs.redis_server import RedisServer, redacted_url
    from ..jobs.worker import run_worker

    home = data_home(args)
    settings = Settings.load(home)
    queues = [q for q in (args.queues.split(",") if args.queues else ALL_QUEUES) if q]
    unknown = sorted(set(queues) - set(ALL_QUEUES))
    if unknown:
        raise SettingsError(f"Unknown queue(s) {', '.join(unknown)}; queues are {', '.join(ALL_QUEUES)}.")
    url = args.redis_url or os.environ.get("REPOWIKI_REDIS_URL") or settings.redis_url
    if url:
        conn = external_redis(url)
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

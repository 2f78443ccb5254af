"""`repowiki mcp` as a coding agent meets it: the SDK's own stdio client spawns it, lists its tools, calls each.

Real parts throughout: the server process, Redis, the workers, LanceDB, ONNX and the tiny GGUF model.
"""
import json
import os
import re
import signal
import subprocess
import sys
import zipfile
from contextlib import asynccontextmanager

import anyio
import anyio.to_thread
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from helpers.processes import processes_using, run_cli
from helpers.sample_repos import SHOP_FILES
from helpers.waiting import wait_until

TOOLS = {"list_repositories", "search_code", "ask", "read_wiki_structure", "read_wiki_page", "read_source",
         "index_archive"}


def shop_zip(tmp_path):
    path = tmp_path / "shop.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in SHOP_FILES.items():
            zf.writestr(f"shop-main/{name}", text)
    return path


@asynccontextmanager
async def mcp_session(home, errlog):
    params = StdioServerParameters(command=sys.executable, args=["-m", "repowiki_gui", "--home", str(home), "mcp"],
                                   env=dict(os.environ))
    async with stdio_client(params, errlog=errlog) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            yield session


def data(result) -> dict:
    assert not result.is_error, result.content
    return json.loads(result.content[0].text)


def error_text(result) -> str:
    """The one sentence of a tool error (isError, one text block, one line ending in a full stop)."""
    assert result.is_error, result.content
    text = result.content[0].text
    assert re.fullmatch(r"[A-Z`'\w][^\n]*[.]", text), text
    assert "Traceback" not in text and "Error executing tool" not in text, text
    return text


class Progress:
    def __init__(self):
        self.seen: list[tuple[float, float | None, str | None]] = []

    async def __call__(self, progress, total, message):
        self.seen.append((progress, total, message))


def test_an_agent_indexes_searches_asks_and_reads_the_wiki_and_sources(home, tmp_path):
    archive = shop_zip(tmp_path)
    errlog = open(tmp_path / "server.stderr", "w+")

    async def agent():
        async with mcp_session(home, errlog) as session:
            assert {t.name for t in (await session.list_tools()).tools} == TOOLS
            assert data(await session.call_tool("list_repositories", {})) == {"repositories": []}

            indexing = Progress()
            indexed = data(await session.call_tool("index_archive", {"path": str(archive)},
                                                   progress_callback=indexing))
            assert (indexed["repo"], indexed["files"]) == ("shop", 2)
            assert indexing.seen and indexing.seen[-1][0] >= indexing.seen[0][0]
            repos = data(await session.call_tool("list_repositories", {}))["repositories"]
            assert [(r["name"], r["files"], r["has_wiki"]) for r in repos] == [("shop", 2, False)]

            found = data(await session.call_tool("search_code", {"repo": "shop", "query": "webhook signature",
                                                                 "k": 3}))
            assert found["references"][0]["path"] == "src/shop/payment.py"
            assert len(found["references"]) <= 3

            asking = Progress()
            answered = data(await session.call_tool("ask", {"repo": "shop",
                                                            "question": "what does verify_signature return?"},
                                                    progress_callback=asking))
            assert answered["answer"].strip()
            assert "src/shop/payment.py" in {r["path"] for r in answered["references"]}
            messages = [m for _, _, m in asking.seen]
            assert messages[0] == "Searching the index" and messages[-1] == "Answered"
            assert any(m.startswith("Writing the answer") for m in messages), messages
            values = [p for p, _, _ in asking.seen]
            assert values == sorted(values)  # progress only grows

            # an agent that gives up on a question: its answer job is cancelled too, and the session goes on
            with anyio.CancelScope() as gave_up:
                async def give_up(progress, total, message):
                    gave_up.cancel()
                await session.call_tool("ask", {"repo": "shop", "question": "how does the cart add an item?"},
                                        progress_callback=give_up)
            assert gave_up.cancelled_caught

            def answer_ended_early():
                jobs = json.loads(run_cli("jobs", "--json", home=home).stdout)
                last = next(j for j in jobs if j["name"] == "qa.generate_answer")
                return last["state"] == "canceled" or (last["state"] == "finished" and last["result"]["stopped"])
            await anyio.to_thread.run_sync(lambda: wait_until(answer_ended_early, timeout_s=60,
                                                              what="the abandoned answer cancelled"))

            lines = data(await session.call_tool("read_source", {"repo": "shop", "path": "src/shop/payment.py",
                                                                 "start_line": 4, "end_line": 7}))
            assert lines["text"].splitlines()[0].startswith("def verify_signature(")
            assert (lines["start_line"], lines["end_line"], lines["total_lines"]) == (4, 7, 7)

            # the wiki, written by the CLI on the services this server started
            wiki = await anyio.to_thread.run_sync(lambda: run_cli("wiki", "shop", home=home, timeout=600))
            assert wiki.returncode == 0, wiki.stderr
            structure = data(await session.call_tool("read_wiki_structure", {"repo": "shop"}))
            assert [p["path"] for p in structure["pages"]][:2] == ["index.md", "overview.md"]
            assert "sources/src/shop/payment.py.md" in structure["source_pages"]
            page = data(await session.call_tool("read_wiki_page", {"repo": "shop", "page": "overview.md"}))
            assert page["markdown"].startswith("# ")
            source_page = data(await session.call_tool("read_wiki_page", {"repo": "shop",
                                                                          "page": "sources/src/shop/payment.py.md"}))
            assert "verify_signature" in source_page["markdown"]

            # bad arguments: each a tool error with one sentence, and the session goes on
            for tool, args, words in [
                ("search_code", {"repo": "nope", "query": "x"}, "nope"),
                ("search_code", {"repo": "shop", "query": "x", "k": 0}, "from 1 to"),
                ("ask", {"repo": "nope", "question": "why?"}, "nope"),
                ("read_source", {"repo": "shop", "path": "../../../etc/passwd"}, "outside the repository"),
                ("read_source", {"repo": "shop", "path": "src/../../etc/passwd"}, "outside the repository"),
                ("read_source", {"repo": "shop", "path": "/etc/passwd"}, "outside the repository"),
                ("read_source", {"repo": "shop", "path": "src/shop/missing.py"}, "not an indexed file"),
                ("read_source", {"repo": "shop", "path": "src/shop/payment.py", "start_line": 99}, "past its end"),
                ("read_source", {"repo": "nope", "path": "a.py"}, "nope"),
                ("read_wiki_structure", {"repo": "nope"}, "nope"),
                ("read_wiki_page", {"repo": "shop", "page": "missing.md"}, "has no page"),
                ("read_wiki_page", {"repo": "shop", "page": "../wiki.json"}, "has no page"),
                ("read_wiki_page", {"repo": "shop", "page": "../../../settings.json"}, "has no page"),
                ("read_wiki_page", {"repo": "../shop", "page": "index.md"}, "not allowed"),
                ("index_archive", {"path": str(tmp_path / "missing.zip")}, "does not exist"),
            ]:
                text = error_text(await session.call_tool(tool, args))
                assert words in text, (tool, args, text)
            assert data(await session.call_tool("list_repositories", {}))["repositories"][0]["has_wiki"] is True

    anyio.run(agent)
    errlog.seek(0)
    # the client closed stdin: the server stopped the Redis and workers it had started
    wait_until(lambda: not processes_using(home), timeout_s=30, what=f"nothing left; stderr: {errlog.read()[-2000:]}")


def test_the_server_uses_running_services_and_leaves_them_running(home, services, tmp_path):
    archive = shop_zip(tmp_path)
    redis_pid = services.connection().info("server")["process_id"]

    async def agent():
        async with mcp_session(home, sys.stderr) as session:
            data(await session.call_tool("index_archive", {"path": str(archive), "name": "shop2"}))
            found = data(await session.call_tool("search_code", {"repo": "shop2", "query": "add_item to the cart"}))
            assert found["references"][0]["path"] == "src/shop/cart.py"

    anyio.run(agent)
    wait_until(lambda: not [p for p in processes_using(home) if "mcp" in p.info["cmdline"]], what="the server gone")
    # the services it found still run, and it started none of its own
    assert services.connection().info("server")["process_id"] == redis_pid
    assert len([p for p in processes_using(home) if "redis-server" in p.info["cmdline"][0]]) == 1
    assert all(wp.proc.poll() is None for wp in services.workers)


def test_sigterm_stops_the_server_and_what_it_started(home, tmp_path):
    async def agent():
        async with mcp_session(home, sys.stderr) as session:
            error_text(await session.call_tool("search_code", {"repo": "nope", "query": "x"}))  # starts services
            started = processes_using(home)
            assert len(started) >= 3   # the server, Redis, the workers
            server = [p for p in started if "mcp" in p.info["cmdline"]]
            assert len(server) == 1
            os.kill(server[0].pid, signal.SIGTERM)
            await anyio.to_thread.run_sync(
                lambda: wait_until(lambda: not processes_using(home), timeout_s=30, what="nothing left"))

    anyio.run(agent)


def test_stdout_carries_only_the_protocol_while_services_start_and_stop(home):
    """Raw JSON-RPC lines in, and every line out is a JSON-RPC message: no stray print, from the server or its children."""
    from mcp_types import LATEST_PROTOCOL_VERSION

    requests = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"protocolVersion": LATEST_PROTOCOL_VERSION, "capabilities": {},
                    "clientInfo": {"name": "test", "version": "0"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call",   # starts Redis and the workers
         "params": {"name": "search_code", "arguments": {"repo": "nope", "query": "x"}}},
    ]
    proc = subprocess.Popen([sys.executable, "-m", "repowiki_gui", "--home", str(home), "-v", "mcp"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out_lines = []
    for request in requests:
        proc.stdin.write(json.dumps(request) + "\n")
        proc.stdin.flush()
        if "id" in request:   # wait for its answer before the next request
            while True:
                line = proc.stdout.readline()
                assert line, proc.stderr.read()
                out_lines.append(line)
                if json.loads(line).get("id") == request["id"]:
                    break
    rest, err = proc.communicate(input="", timeout=60)   # stdin closed: the server stops what it started, exits
    out_lines += rest.splitlines()
    messages = [json.loads(line) for line in out_lines if line.strip()]
    assert all(m["jsonrpc"] == "2.0" for m in messages)
    answer = next(m for m in messages if m.get("id") == 2)["result"]
    assert answer["isError"] is True and "nope" in answer["content"][0]["text"]
    assert proc.returncode == 0, err
    assert "started redis-server" in err     # logs went to stderr
    assert not processes_using(home)

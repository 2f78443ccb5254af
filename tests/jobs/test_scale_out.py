"""Scale-out: Redis and the enqueuer on one "machine", a worker on another, joined by TCP only.

The two machines are two network namespaces joined by a veth pair. In namespace A,
`repowiki serve --listen` runs the bundled Redis on TCP with its password (and, with
``bulk_workers: 0``, no local bulk worker); in namespace B, `repowiki worker --redis-url`
joins it. Both see one data dir (the shared-filesystem case). A real indexing job enqueued
by `repowiki index` in A is run by the worker in B: the job records B's worker, and Redis
saw that worker connect from B's address. Without the password, B is refused.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from helpers.processes import run_cli
from helpers.waiting import wait_until


APP = '''class Ledger:
    """Adds up entries."""

    def total(self, entries):
        return sum(e.amount for e in entries)
'''


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check)


class NetnsPair:
    """Two network namespaces joined by a veth pair, removed with everything started in them."""

    def __init__(self):
        tag = f"{os.getpid() % 100000}"
        self.a, self.b = f"rwA{tag}", f"rwB{tag}"
        self.subnet = 10 + os.getpid() % 240  # private to the pair; varied only to ease reading logs
        self.addr_a, self.addr_b = f"10.200.{self.subnet}.1", f"10.200.{self.subnet}.2"
        self.veth = (f"va{tag}", f"vb{tag}")
        self.procs: list[subprocess.Popen] = []
        self.made: list[str] = []

    def create(self) -> None:
        for ns in (self.a, self.b):
            _ip("netns", "add", ns)
            self.made.append(ns)
        veth_a, veth_b = self.veth
        _ip("link", "add", veth_a, "type", "veth", "peer", "name", veth_b)
        _ip("link", "set", veth_a, "netns", self.a)
        _ip("link", "set", veth_b, "netns", self.b)
        for ns, dev, addr in ((self.a, veth_a, self.addr_a), (self.b, veth_b, self.addr_b)):
            _ip("-n", ns, "addr", "add", f"{addr}/24", "dev", dev)
            _ip("-n", ns, "link", "set", dev, "up")
            _ip("-n", ns, "link", "set", "lo", "up")

    def cmd(self, ns: str, *args: str) -> list[str]:
        return ["ip", "netns", "exec", ns, sys.executable, "-m", "repowiki_gui", *args]

    def popen(self, ns: str, *args: str, log: Path) -> subprocess.Popen:
        with open(log, "wb") as fh:
            proc = subprocess.Popen(self.cmd(ns, *args), stdout=fh, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        self.procs.append(proc)
        return proc

    def run(self, ns: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(self.cmd(ns, *args), capture_output=True, text=True, timeout=timeout)

    def destroy(self) -> None:
        for proc in reversed(self.procs):  # the worker before serve: serve stops Redis last
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)  # serve and worker both shut down cleanly on it
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        for ns in self.made:  # deleting a namespace deletes its end of the veth, and so the pair
            _ip("netns", "del", ns, check=False)
        _ip("link", "del", self.veth[0], check=False)  # a pair made but never moved (a failed setup)


@pytest.fixture
def netns(home):  # after `home`: torn down before home checks that no process is left
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root (ip netns add)")
    if shutil.which("ip") is None:
        pytest.skip("the ip command (iproute2) is not installed")
    pair = NetnsPair()
    try:
        pair.create()
    except subprocess.CalledProcessError as exc:
        pair.destroy()
        pytest.skip(f"this machine cannot make network namespaces: {' '.join(exc.cmd)}: {exc.stderr.strip()}")
    yield pair
    pair.destroy()


def _make_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("ledger-main/ledger.py", APP)
        zf.writestr("ledger-main/README.md", "# Ledger\n\nAdds up entries.\n")
    return path


def _job_record(home: Path, job_id: str) -> tuple[str, str]:
    """(worker name, the address Redis saw that worker connect from), read over A's unix socket."""
    from rq.job import Job
    from rq.worker import Worker

    from repowiki_gui.jobs.redis_server import RedisServer

    conn = RedisServer(home).client()
    try:
        job = Job.fetch(job_id, connection=conn)
        worker = Worker.find_by_key(f"rq:worker:{job.worker_name}", connection=conn)
        return job.worker_name, worker.ip_address if worker else ""
    finally:
        conn.close()


def _job_id(stdout: str) -> str:
    return stdout.split("(job ", 1)[1].split(")", 1)[0]


def test_a_job_enqueued_beside_redis_runs_on_a_worker_in_another_namespace(home, netns, tmp_path):
    settings = json.loads((home / "settings.json").read_text())
    settings["bulk_workers"] = 0  # A does no bulk work itself
    (home / "settings.json").write_text(json.dumps(settings))
    port = 6380  # namespace A has a network stack of its own: no other test holds its ports

    serve_log = tmp_path / "serve.log"
    serve = netns.popen(netns.a, "--home", str(home), "serve", "--listen", f"{netns.addr_a}:{port}", log=serve_log)
    wait_until(lambda: "--redis-url '" in serve_log.read_text() or serve.poll() is not None,
               timeout_s=90, what="repowiki serve --listen to start")
    assert serve.poll() is None, serve_log.read_text()
    url = serve_log.read_text().split("--redis-url '", 1)[1].split("'", 1)[0]
    assert url.startswith("redis://:") and url.endswith(f"@{netns.addr_a}:{port}/0")
    password = url.split("redis://:", 1)[1].split("@", 1)[0]

    # B without the password, or with a wrong one, is refused in one sentence.
    bare = netns.run(netns.b, "--home", str(tmp_path / "b-home"), "worker", "--burst",
                     "--redis-url", f"redis://{netns.addr_a}:{port}/0", timeout=60)
    assert bare.returncode == 1 and "wants a password" in bare.stderr, bare.stderr
    wrong = netns.run(netns.b, "--home", str(tmp_path / "b-home"), "worker", "--burst",
                      "--redis-url", f"redis://:not-{password}@{netns.addr_a}:{port}/0", timeout=60)
    assert wrong.returncode == 1 and "refused the password" in wrong.stderr, wrong.stderr
    assert password not in wrong.stderr and wrong.stderr.strip().count("\n") == 0

    worker_log = tmp_path / "worker-b.log"
    worker = netns.popen(netns.b, "--home", str(home), "worker", "--redis-url", url,
                         "--queues", "indexing,specs", log=worker_log)
    wait_until(lambda: "Listening on" in worker_log.read_text() or worker.poll() is not None,
               timeout_s=90, what="the worker in namespace B to register")
    assert worker.poll() is None, worker_log.read_text()

    zip_path = _make_zip(tmp_path / "ledger.zip")  # on the shared filesystem: B reads the same path
    first = netns.run(netns.a, "--home", str(home), "index", str(zip_path))
    assert first.returncode == 0, first.stdout + first.stderr
    assert "indexed ledger: 2 files" in first.stdout
    name, addr = _job_record(home, _job_id(first.stdout))
    assert name.startswith("bulk.") and f".{worker.pid}." in name, name  # the worker started in B ...
    assert addr.startswith(f"{netns.addr_b}:"), addr  # ... which reached Redis over the veth, from B

    repos = json.loads(run_cli("repos", "--json", home=home).stdout)
    assert [(r["name"], r["files"]) for r in repos] == [("ledger", 2)]

    # Redis dies in A; serve's supervisor restarts it on the same TCP port and B's worker reconnects.
    from repowiki_gui.jobs.redis_server import RedisServer

    server = RedisServer(home)
    old_pid = server.pid
    os.kill(old_pid, signal.SIGKILL)
    wait_until(lambda: server.pid not in (None, old_pid) and server.ping(), timeout_s=60,
               what="serve to restart Redis")
    again = netns.run(netns.a, "--home", str(home), "index", str(zip_path), "--name", "ledger2")
    assert again.returncode == 0, again.stdout + again.stderr
    name2, addr2 = _job_record(home, _job_id(again.stdout))
    assert name2 == name and addr2.startswith(f"{netns.addr_b}:")
    assert worker.poll() is None and serve.poll() is None


def test_listen_needs_host_and_port(home):
    result = run_cli("serve", "--listen", "6380", home=home)
    assert result.returncode == 1
    assert result.stderr.strip() == "repowiki: --listen takes HOST:PORT (e.g. 10.0.0.5:6380), not '6380'."


def test_a_worker_that_cannot_reach_its_redis_says_so_in_one_sentence(home):
    result = run_cli("worker", "--redis-url", "redis://:pw@127.0.0.1:1/0", "--burst", home=home)
    assert result.returncode == 1
    assert result.stderr.startswith("repowiki: The Redis server at redis://***@127.0.0.1:1/0 cannot be reached")
    assert result.stderr.strip().count("\n") == 0 and ":pw@" not in result.stderr


def test_listen_refuses_a_running_redis_without_that_port(home):
    from repowiki_gui.jobs.redis_server import RedisServer
    from repowiki_gui.settings import prepare_home

    server = RedisServer(prepare_home(home))
    server.ensure()  # as the window would: unix socket only
    try:
        result = run_cli("serve", "--listen", "127.0.0.1:6390", home=home)
        assert result.returncode == 1
        assert "already runs with no TCP port" in result.stderr and result.stderr.strip().count("\n") == 0
        assert server.ping()  # left alone: it is not serve's to stop
    finally:
        server.stop()

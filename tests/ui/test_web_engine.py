"""QtWebEngine in the Wiki tab: the Addons wheel matches Essentials, its flags, and a page that loads nothing remote."""
from __future__ import annotations

import http.server
import json
import os
import sys
import threading
from importlib.metadata import version

import pytest
from PySide6.QtCore import QUrl

from repowiki_gui.ui import web_engine
from repowiki_gui.ui.wiki_view import WikiBrowser


def test_addons_and_essentials_are_the_same_release():
    # QtWebEngine (Addons) is built against one exact Qt (Essentials): two releases do not load together.
    assert version("PySide6-Addons") == version("PySide6-Essentials")


@pytest.mark.parametrize("platform, root, expected", [
    ("xcb", False, {}),
    ("wayland", False, {}),
    ("offscreen", False, {"QTWEBENGINE_CHROMIUM_FLAGS": "--disable-gpu"}),
    ("xcb", True, {"QTWEBENGINE_DISABLE_SANDBOX": "1"}),
    ("offscreen", True, {"QTWEBENGINE_DISABLE_SANDBOX": "1", "QTWEBENGINE_CHROMIUM_FLAGS": "--disable-gpu"}),
])
def test_flags_only_where_needed(platform, root, expected):
    assert web_engine.needed_flags(platform, root) == expected


def test_prepare_keeps_the_users_flags(monkeypatch):
    monkeypatch.setattr(web_engine, "_platform", lambda: "offscreen")
    monkeypatch.setenv("QTWEBENGINE_CHROMIUM_FLAGS", "--lang=fr")
    web_engine.prepare()
    web_engine.prepare()   # twice: still once
    assert os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] == "--lang=fr --disable-gpu"


class _Counting(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"x")

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    _Counting.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Counting.hits
    server.shutdown()
    server.server_close()
    thread.join()


def test_the_wiki_view_loads_nothing_remote(qtbot, local_server):
    """Even markup the renderer never writes (an <img>, a <script src>, fetch) reaches no server."""
    url, hits = local_server
    browser = WikiBrowser()
    qtbot.addWidget(browser)
    browser.show()
    # The page itself proves the server answers: a fetch from Python is counted, one from the page is not.
    import urllib.request
    with urllib.request.urlopen(f"{url}/from-python") as reply:
        assert reply.read() == b"x"
    page = (f'<html><body><img src="{url}/img"><script src="{url}/script.js"></script>'
            f'<link rel="stylesheet" href="{url}/style.css"><p id="p">here</p>'
            f'<script>fetch("{url}/fetch").then(() => document.title = "fetched",'
            f' () => document.title = "refused");</script></body></html>')
    with qtbot.waitSignal(browser.loadFinished, timeout=15_000):
        browser.show_html("index.md", page)
    qtbot.waitUntil(lambda: browser.title() in ("fetched", "refused"), timeout=15_000)
    assert browser.title() == "refused"
    assert hits == ["/from-python"]


def test_a_file_outside_the_pages_and_scripts_is_not_read(qtbot, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")
    browser = WikiBrowser()
    qtbot.addWidget(browser)
    page = (f'<html><body><script>fetch({json.dumps(QUrl.fromLocalFile(str(secret)).toString())})'
            f'.then(r => r.text()).then(t => document.title = "read: " + t, () => document.title = "refused");'
            f"</script></body></html>")
    browser.show_html("index.md", page)
    qtbot.waitUntil(lambda: browser.title() in ("refused",) or browser.title().startswith("read"), timeout=15_000)
    assert browser.title() == "refused"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="thread priorities through /proc")
def test_the_renderer_yields_to_the_window(qtbot):
    """Chromium raises its renderer's threads (to nice -8 as root); the wiki view sets them below the window's."""
    browser = WikiBrowser()
    qtbot.addWidget(browser)
    browser.show()
    with qtbot.waitSignal(browser.loadFinished, timeout=15_000):
        browser.show_html("index.md", "<html><body><p>x</p></body></html>")
    pid = browser.page().renderProcessPid()
    assert pid > 0 and pid != os.getpid()

    def nices():
        return [os.getpriority(os.PRIO_PROCESS, int(tid)) for tid in os.listdir(f"/proc/{pid}/task")]
    # Chromium may raise a thread again after the load; the view looks once more a second later.
    qtbot.waitUntil(lambda: min(nices()) >= web_engine.RENDERER_NICE, timeout=5_000)
    qtbot.wait(1500)
    assert min(nices()) >= web_engine.RENDERER_NICE
    assert os.getpriority(os.PRIO_PROCESS, 0) < web_engine.RENDERER_NICE   # the window's own stays

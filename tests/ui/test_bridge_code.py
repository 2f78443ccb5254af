"""ui/bridge/code.py without services: the searcher answers the newest request; a hit's matching lines."""
import threading

from repowiki_gui.ui.bridge.code import CodeSearcher, matching_lines

from helpers.waiting import wait_until


class GatedSearcher(CodeSearcher):
    """The search blocks until the test opens the gate, so requests pile up behind it."""

    def __init__(self):
        self.done, self.failed = [], []
        super().__init__(None, None, lambda rid, res: self.done.append((rid, res)),
                         lambda rid, why: self.failed.append((rid, why)))
        self.gate = threading.Event()
        self.started = threading.Event()

    def search(self, repo, query, language, prefix):
        self.started.set()
        self.gate.wait(10)
        if query == "bad":
            raise ValueError("The query could not be searched.")
        return [{"path": f"{repo}/{query}", "language": language, "prefix": prefix}]


def test_requests_that_wait_behind_a_search_are_dropped_but_the_newest():
    searcher = GatedSearcher()
    try:
        searcher.submit("r1", "shop", "a", "", "")
        assert searcher.started.wait(10)
        for n in (2, 3, 4):   # typed while r1 runs
            searcher.submit(f"r{n}", "shop", "abc"[:n - 1], "python", "src/")
        searcher.gate.set()
        wait_until(lambda: len(searcher.done) == 2, 10, what="two answers")
        assert [rid for rid, _ in searcher.done] == ["r1", "r4"]
        assert searcher.done[1][1] == [{"path": "shop/abc", "language": "python", "prefix": "src/"}]
        searcher.submit("r5", "shop", "bad", "", "")
        wait_until(lambda: searcher.failed, 10, what="the failure")
        assert searcher.failed == [("r5", "The query could not be searched.")]
    finally:
        searcher.gate.set()
        searcher.stop()
    assert not searcher._thread.is_alive()


def test_matching_lines_are_those_naming_a_query_word_else_the_first():
    text = "def charge(cart, token):\n    total = cart.total()\n\n    return sign(token, total)\n"
    assert matching_lines(text, 10, ["token"]) == [[10, "def charge(cart, token):"],
                                                   [13, "    return sign(token, total)"]]
    assert matching_lines(text, 10, ["nothing"]) == [[10, "def charge(cart, token):"]]
    assert len(matching_lines("x\n" * 20, 1, ["x"])) == 3


def test_warming_loads_the_model_once_and_never_displaces_a_search():
    searcher = GatedSearcher()
    loads = []
    searcher._load = lambda: loads.append(True)
    try:
        searcher.warm()
        wait_until(lambda: loads, 10, what="the load")
        searcher.submit("r1", "shop", "a", "", "")
        assert searcher.started.wait(10)
        searcher.submit("r2", "shop", "b", "", "")
        searcher.warm()   # a search is waiting: warming must not take its place
        searcher.gate.set()
        wait_until(lambda: len(searcher.done) == 2, 10, what="both answers")
        assert [rid for rid, _ in searcher.done] == ["r1", "r2"] and searcher.failed == []
    finally:
        searcher.gate.set()
        searcher.stop()

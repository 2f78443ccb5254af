"""Starting the real bridge in a test and giving it the sample shop to index."""
from pathlib import Path

from helpers.sample_repos import SHOP_FILES, write_zip


def start(qtbot, bridge, thread) -> dict:
    """Start the bridge's thread and wait until its services are up; their description."""
    # The bridge emits from its own threads: record into lists and poll with waitUntil, because
    # qtbot.waitSignal would stop its Qt timer from the emitting thread.
    ready = []
    bridge.servicesReady.connect(ready.append)
    bridge.servicesFailed.connect(ready.append)
    thread.start()
    qtbot.waitUntil(lambda: bool(ready), timeout=120_000)
    assert isinstance(ready[0], dict), ready
    return ready[0]


def index_shop(bridge, tmp_path: Path) -> Path:
    """Queue the sample shop's ZIP for indexing as "shop"."""
    zip_path = write_zip(tmp_path / "shop.zip", SHOP_FILES, "shop-main")
    bridge.call("indexZip", str(zip_path), "shop")
    return zip_path

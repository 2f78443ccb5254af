"""The index tests' demo repository: two Python files and a README, zipped; its chunk rows in LanceDB."""
from __future__ import annotations

import zipfile

APP = '''"""A tiny app."""
import os


class Greeter:
    """Says hello."""

    def hello(self, name):
        return f"hello {name}"

    def bye(self, name):
        return f"bye {name}"


def parse_config(path):
    with open(path) as fh:
        return fh.read()
'''

UTIL = '''def slugify(text):
    return "-".join(text.lower().split())
'''

README = "# Demo\n\nA demo project.\n\n## Install\n\npip install demo\n"


def make_zip(path, files: dict[str, str], top: str = "demo-1.0"):
    """A deflated ZIP of ``files`` (path -> text) under the folder ``top``, as GitHub's archives are."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in files.items():
            zf.writestr(f"{top}/{name}", text)
    return path


def rows(store, repo="demo") -> list[dict]:
    """Every chunk row of ``repo`` in the ChunkStore ``store``."""
    return store.table().search().where(f"repo = '{repo}'").limit(None).to_list()

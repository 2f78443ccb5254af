"""The command line's ``--json`` output keeps its shape (docs/design.md, "Command line": a contract).

``tests/cli_contract.json`` holds the shape of every ``--json`` command's
output as it was before the house was rebuilt (issue 13): each object's keys
and each value's kind, lists by their first item.  A refactor that renames,
drops or retypes a field fails here; adding a field is an extension, and is
reported so the recorded shape can be brought up to date on purpose
(``REPOWIKI_RECORD_CONTRACT=1`` rewrites the file).
"""
import json
import os
import zipfile
from pathlib import Path

from helpers.processes import run_cli
from helpers.sample_repos import SHOP_FILES


CONTRACT = Path(__file__).with_name("cli_contract.json")


def shape(value):
    """Keys and kinds, not values: what a script that reads the output relies on."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "null" if value is None else type(value).__name__


def missing_or_changed(recorded, now, where="$") -> list[str]:
    """Where ``now`` lost or retyped something ``recorded`` had (new keys are fine)."""
    if isinstance(recorded, dict):
        if not isinstance(now, dict):
            return [f"{where}: was an object"]
        return [p for k, v in recorded.items()
                for p in ([f"{where}.{k}: missing"] if k not in now else missing_or_changed(v, now[k], f"{where}.{k}"))]
    if isinstance(recorded, list):
        if not isinstance(now, list):
            return [f"{where}: was a list"]
        return missing_or_changed(recorded[0], now[0], f"{where}[0]") if recorded and now else []
    # null stands for "absent for now" (a job not yet ended); any kind may take its place and back
    return [] if recorded == now or "null" in (recorded, now) else [f"{where}: was {recorded}, now {now}"]


def json_of(*args, home) -> object:
    result = run_cli(*args, "--json", home=home, timeout=300)
    assert result.returncode == 0, f"{args}: {result.stderr}"
    return json.loads(result.stdout)


def test_every_json_command_keeps_its_recorded_shape(home, services, tmp_path):
    zip_path = tmp_path / "shop.zip"
    with zipfile.ZipFile(zip_path, "w") as zf:
        for name, text in SHOP_FILES.items():
            zf.writestr(f"shop-main/{name}", text)
    indexed = run_cli("index", str(zip_path), home=home, timeout=300)
    assert indexed.returncode == 0, indexed.stderr

    asked = json_of("ask", "shop", "what does verify_signature return?", "--conversation", "new", home=home)
    outputs = {
        "repos": json_of("repos", home=home),
        "search": json_of("search", "shop", "webhook signature", "-k", "2", home=home),
        "ask": asked,
        "conversations": json_of("conversations", "--repo", "shop", home=home),
        "conversation": json_of("conversations", asked["conversation"], home=home),
        # each kind of job has its own result; the ones this test ran (maintenance may or may not have)
        "jobs": {job["name"]: job for job in json_of("jobs", home=home) if not job["name"].startswith("resource_")},
        "status": json_of("status", home=home),
        "models": json_of("models", home=home),
    }
    # every job records the repository it is about when it is submitted
    assert {job["repo"] for job in outputs["jobs"].values()} == {"shop"}
    now = {name: shape(out) for name, out in outputs.items()}
    for name, out in outputs.items():  # a list must not be empty, or its items' shape goes unchecked
        assert out, f"{name} --json printed nothing to check"
    if os.environ.get("REPOWIKI_RECORD_CONTRACT"):
        CONTRACT.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n")
    recorded = json.loads(CONTRACT.read_text())
    assert set(recorded) <= set(now)
    broken = [p for name in recorded for p in missing_or_changed(recorded[name], now[name], name)]
    assert not broken, "the --json contract changed:\n" + "\n".join(broken)


def test_the_shape_check_sees_a_dropped_or_retyped_field():
    recorded = {"references": [{"path": "str", "start_line": "number"}], "answer": "str", "ended": "null"}
    assert missing_or_changed(recorded, {"references": [{"path": "str", "start_line": "number", "new": "str"}],
                                         "answer": "str", "ended": "number"}) == []
    assert missing_or_changed(recorded, {"references": [{"path": "str"}], "answer": "number", "ended": "null"}) == [
        "$.references[0].start_line: missing", "$.answer: was str, now number"]

import dataclasses
import json
import stat
import os

import pytest

from repowiki_gui.core.errors import SettingsError
from repowiki_gui.settings import Settings, prepare_home


def test_every_setting_says_why_it_has_its_default():
    why = Settings.describe()
    assert set(why) == {f.name for f in dataclasses.fields(Settings)}
    assert all(len(text) > 10 for text in why.values())


def test_seed_time_limits_are_the_defaults():
    s = Settings()
    assert (s.job_hard_limit_s, s.job_soft_limit_s) == (30 * 60, 25 * 60)
    assert s.retry_intervals_s == (10, 30, 90) and s.retry_max == 3


def test_settings_file_round_trips_and_rejects_unknown_keys(tmp_path, monkeypatch):
    monkeypatch.delenv("REPOWIKI_SETTINGS", raising=False)
    home = prepare_home(tmp_path / "h")
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700
    Settings(bulk_workers=3, retry_intervals_s=(1, 2)).save(home)
    loaded = Settings.load(home)
    assert loaded.bulk_workers == 3 and loaded.retry_intervals_s == (1, 2)
    (home / "settings.json").write_text(json.dumps({"bulk_wrokers": 2}))
    with pytest.raises(SettingsError, match="unknown keys: bulk_wrokers"):
        Settings.load(home)
    (home / "settings.json").write_text("{not json")
    with pytest.raises(SettingsError, match="cannot be read"):
        Settings.load(home)

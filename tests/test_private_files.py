"""Local state holds personal data and a secret: ``instance/`` is 0700 and the development
auth token 0600 from the moment it exists (the SQLite file: tests/test_db_faults.py)."""
from __future__ import annotations

import re

import pytest

from receptionist.settings import instance_path, local_auth_token


@pytest.fixture
def instance(tmp_path, monkeypatch):
    path = tmp_path / "state" / "instance"
    monkeypatch.setenv("INSTANCE_PATH", str(path))
    return path


def mode(path) -> int:
    return path.stat().st_mode & 0o777


def test_instance_folder_is_created_for_its_owner_only(instance):
    assert instance_path() == instance
    assert mode(instance) == 0o700


def test_an_existing_open_instance_folder_is_left_alone_with_a_warning(instance, caplog):
    instance.mkdir(parents=True, mode=0o755)
    instance.chmod(0o755)  # whatever the umask
    assert instance_path() == instance
    assert mode(instance) == 0o755  # INSTANCE_PATH may name a folder others use too
    assert "is open to other users" in caplog.text and "chmod 700" in caplog.text


def test_dev_token_is_created_0600_and_stays_the_same(instance, monkeypatch):
    created = []
    real_open = __import__("os").open

    def watching_open(path, flags, mode=0o777, *args, **kwargs):
        created.append((str(path), flags, mode))
        return real_open(path, flags, mode, *args, **kwargs)

    monkeypatch.setattr("receptionist.settings.os.open", watching_open)
    token = local_auth_token()
    assert re.fullmatch(r"[0-9a-f]{32}", token)
    assert mode(instance / "dev-auth-token") == 0o600
    assert all(m == 0o600 for _, _, m in created) and created  # never readable by others, not even briefly
    assert local_auth_token() == token
    assert [p.name for p in instance.iterdir()] == ["dev-auth-token"]  # no draft left behind


def test_an_existing_world_readable_token_is_tightened_with_a_warning(instance, caplog):
    instance.mkdir(parents=True, mode=0o700)
    token_file = instance / "dev-auth-token"
    token_file.write_text("0123456789abcdef0123456789abcdef\n")
    token_file.chmod(0o644)
    assert local_auth_token() == "0123456789abcdef0123456789abcdef"
    assert mode(token_file) == 0o600
    assert "dev-auth-token was readable by other users (mode 644); now 0600" in caplog.text

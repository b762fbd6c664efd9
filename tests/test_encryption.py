"""Webhook secrets at rest: encrypted under CLAIMS_SECRET_KEY, or under a key generated
once into the instance folder, readable by the service's user only."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from flask import Flask

from claims_api.encryption import (
    KEY_FILE,
    SecretKeyUnavailable,
    SecretUnreadable,
    decrypt,
    encrypt,
    fernet_for,
    init_encryption,
    instance_secret_key,
)


def test_the_instance_key_is_made_once_and_private(tmp_path: Path) -> None:
    first = instance_secret_key(str(tmp_path / "instance"))
    again = instance_secret_key(str(tmp_path / "instance"))
    path = tmp_path / "instance" / KEY_FILE
    assert first == again and len(first) >= 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [entry.name for entry in path.parent.iterdir()] == [KEY_FILE], "no temporary left"


def test_a_secret_reads_back_only_under_its_key() -> None:
    app = Flask(__name__)
    app.extensions["claims_fernet"] = fernet_for("one key")
    with app.app_context():
        token = encrypt("whsec_abc")
        assert "whsec_abc" not in token and decrypt(token) == "whsec_abc"
        app.extensions["claims_fernet"] = fernet_for("another key")
        with pytest.raises(SecretUnreadable, match="CLAIMS_SECRET_KEY"):
            decrypt(token)


def test_without_a_key_or_a_writable_instance_folder_secrets_are_refused_not_the_start(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    app = Flask(__name__, instance_path=str(blocker / "instance"))
    init_encryption(app)
    with app.app_context(), pytest.raises(SecretKeyUnavailable, match="CLAIMS_SECRET_KEY"):
        encrypt("whsec_abc")

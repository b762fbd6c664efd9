"""Fixtures of the bulk import/export tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from claims_api import cli, create_app
from claims_api.extensions import db


@pytest.fixture(autouse=True)
def dispose_cli_engines(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Close the connections of the apps the CLI builds (a real process would exit)."""
    apps: list[Flask] = []

    def recording_create_app(*args: Any, **kwargs: Any) -> Flask:
        apps.append(create_app(*args, **kwargs))
        return apps[-1]

    monkeypatch.setattr(cli, "create_app", recording_create_app)
    yield
    for app in apps:
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()

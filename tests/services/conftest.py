"""Fixtures of the service tests: the services called directly, in one app context."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from claims_api.extensions import db
from claims_api.models import Article
from claims_api.services import articles as article_service
from claims_api.services.revisions import Change
from tests.imports.helpers import BODY


@pytest.fixture
def in_app(app: Flask) -> Iterator[Flask]:
    """The app's context, on each database; what the test wrote is rolled back after it."""
    with app.app_context():
        yield app
        db.session.rollback()
        db.session.remove()


@pytest.fixture
def article(in_app: Flask) -> Article:
    """An article with a body (tests.imports.helpers.BODY) that claims can quote."""
    return article_service.create_article(
        {"url": "https://news.example.org/border-report", "title": "Border report", "body": BODY},
        Change("editor"),
    )

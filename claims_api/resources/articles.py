"""/articles: the texts claims are anchored in."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.views import MethodView

from claims_api.auth import requires
from claims_api.extensions import db
from claims_api.models.vocabulary import Role
from claims_api.resources.common import (
    ETAG_HEADER_DOC,
    LINK_HEADER_DOC,
    LOCATION_HEADER_DOC,
    Blueprint,
    Reply,
    change_from,
    page_request,
    page_response,
    precondition,
    versioned,
)
from claims_api.schemas.articles import (
    ArticleFieldsSchema,
    ArticleListArgs,
    ArticlePageSchema,
    ArticlePostSchema,
    ArticleRefreshSchema,
    ArticleSchema,
    ArticleVersionDiffSchema,
    ArticleVersionSchema,
    ArticleVersionSummarySchema,
    VersionDiffArgs,
)
from claims_api.schemas.claims import ArticleClaimListArgs, ClaimPageSchema
from claims_api.schemas.common import OptionalIfMatchHeaders, ReasonHeaders, WriteHeaders
from claims_api.services import article_fetching as fetch_service
from claims_api.services import article_versions as version_service
from claims_api.services import articles as article_service
from claims_api.services import claims as claim_service
from claims_api.services.revisions import snapshot_of

blp = Blueprint("articles", __name__, url_prefix="/articles", description="Articles.")


@blp.route("")
class Articles(MethodView):
    @blp.arguments(ArticleListArgs, location="query", as_kwargs=False)
    @blp.response(200, ArticlePageSchema, headers=LINK_HEADER_DOC)
    @blp.doc(operationId="listArticles")
    def get(self, args: dict[str, Any]) -> Reply:
        """List articles (without their bodies), oldest first."""
        page = page_request(args)
        return page_response(article_service.list_articles(page, **args))

    @requires(Role.CONTRIBUTOR)
    @blp.arguments(ArticlePostSchema)
    @blp.arguments(ReasonHeaders, location="headers")
    @blp.response(201, ArticleSchema, headers={**ETAG_HEADER_DOC, **LOCATION_HEADER_DOC})
    @blp.problems(502)
    @blp.doc(operationId="createArticle")
    def post(self, data: dict[str, Any], headers: dict[str, Any]) -> Reply:
        """Add an article; its URL is normalised and must be new, neither another
        article's URL nor one of its aliases (409 otherwise).

        Its body, if given, is kept as version 1. With `"fetch": true` the page at the
        URL is downloaded instead, and its text kept as version 1 (origin `fetched`);
        a failed download is a 502 saying why, a private or loopback address a 422.
        """
        if data.pop("fetch"):
            article = fetch_service.fetch_article(data, change_from(headers))
        else:
            article = article_service.create_article(data, change_from(headers))
        db.session.commit()
        location = url_for("articles.ArticleById", article_id=article.id)
        return versioned(article, article.version, 201, Location=location)


@blp.route("/<int:article_id>")
class ArticleById(MethodView):
    @blp.response(200, ArticleSchema, headers=ETAG_HEADER_DOC)
    @blp.doc(operationId="getArticle")
    def get(self, article_id: int) -> Reply:
        """Read an article, its body and how many claims it has."""
        article = article_service.get_article(article_id)
        return versioned(article, article.version)

    @requires(Role.CONTRIBUTOR)
    @blp.arguments(ArticleFieldsSchema, required=False)
    @blp.arguments(WriteHeaders, location="headers")
    @blp.response(200, ArticleSchema, headers=ETAG_HEADER_DOC)
    @blp.doc(operationId="updateArticle")
    def patch(self, data: dict[str, Any], headers: dict[str, Any], article_id: int) -> Reply:
        """Change metadata or the body; needs If-Match.

        A new body is kept as the next version, and every claim's quote follows it:
        each claim's `anchor` says how (anchored, moved, fuzzy, ambiguous, orphaned),
        and a quote whose words changed is flagged `needs_review`.
        """
        article = article_service.update_article(
            article_id, data, precondition(headers), change_from(headers)
        )
        db.session.commit()
        return versioned(article, article.version)

    @requires(Role.ADMIN)
    @blp.arguments(WriteHeaders, location="headers")
    @blp.response(204)
    @blp.doc(operationId="deleteArticle")
    def delete(self, headers: dict[str, Any], article_id: int) -> None:
        """Delete an article that has no claims (409 otherwise); needs If-Match."""
        article_service.delete_article(article_id, precondition(headers), change_from(headers))
        db.session.commit()


@blp.route("/<int:article_id>/refresh")
class ArticleRefresh(MethodView):
    @requires(Role.CONTRIBUTOR)
    @blp.arguments(OptionalIfMatchHeaders, location="headers")
    @blp.response(200, ArticleRefreshSchema, headers=ETAG_HEADER_DOC)
    @blp.problems(409, 502)
    @blp.doc(operationId="refreshArticle")
    def post(self, headers: dict[str, Any], article_id: int) -> Reply:
        """Fetch a fetched article's page again, conditionally (ETag, Last-Modified).

        When the text changed it is kept as the next version (origin `refreshed`) and
        the claims' quotes follow it, as after an edit; `changed` says which. If-Match
        is optional: without it, an edit made while the page downloads is not
        overwritten (412).
        """
        refresh = fetch_service.refresh_article(
            article_id, precondition(headers, required=False), change_from(headers)
        )
        db.session.commit()
        return versioned(refresh, refresh.article.version)


@blp.route("/<int:article_id>/claims")
class ArticleClaims(MethodView):
    @blp.arguments(ArticleClaimListArgs, location="query", as_kwargs=False)
    @blp.response(200, ClaimPageSchema, headers=LINK_HEADER_DOC)
    @blp.doc(operationId="listArticleClaims")
    def get(self, args: dict[str, Any], article_id: int) -> Reply:
        """The article's live claims, with the same filters as /claims."""
        article_service.get_article(article_id)
        page = page_request(args)
        claims = claim_service.list_claims(page, article_id=article_id, **args)
        return page_response(claims, snapshot_of)


@blp.route("/<int:article_id>/versions")
class ArticleVersions(MethodView):
    @blp.response(200, ArticleVersionSummarySchema(many=True))
    @blp.doc(operationId="listArticleVersions")
    def get(self, article_id: int) -> Any:
        """Every body the article has had, oldest first (without the texts)."""
        return version_service.list_versions(article_id)


@blp.route("/<int:article_id>/versions/<int:number>")
class ArticleVersionByNumber(MethodView):
    @blp.response(200, ArticleVersionSchema)
    @blp.doc(operationId="getArticleVersion")
    def get(self, article_id: int, number: int) -> Any:
        """One body version, with its text."""
        return version_service.get_version(article_id, number)


@blp.route("/<int:article_id>/versions/<int:number>/diff")
class ArticleVersionDiff(MethodView):
    @blp.arguments(VersionDiffArgs, location="query", as_kwargs=True)
    @blp.response(200, ArticleVersionDiffSchema)
    @blp.doc(operationId="diffArticleVersions")
    def get(self, article_id: int, number: int, against: int | None = None) -> Any:
        """The runs of words that changed from version `against` (default: the previous)."""
        return version_service.diff_versions(article_id, number, against)

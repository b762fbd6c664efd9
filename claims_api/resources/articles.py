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
    page_request,
    page_response,
    precondition,
    versioned,
)
from claims_api.schemas.articles import (
    ArticleCreateSchema,
    ArticleFieldsSchema,
    ArticleListArgs,
    ArticlePageSchema,
    ArticleSchema,
)
from claims_api.schemas.claims import ArticleClaimListArgs, ClaimPageSchema
from claims_api.schemas.common import WriteHeaders
from claims_api.services import articles as article_service
from claims_api.services import claims as claim_service

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
    @blp.arguments(ArticleCreateSchema)
    @blp.response(201, ArticleSchema, headers={**ETAG_HEADER_DOC, **LOCATION_HEADER_DOC})
    @blp.doc(operationId="createArticle")
    def post(self, data: dict[str, Any]) -> Reply:
        """Add an article; its URL is normalised and must be new (409 otherwise)."""
        article = article_service.create_article(data)
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
        """Change metadata; needs If-Match. The body cannot change while claims quote it (409)."""
        article = article_service.update_article(article_id, data, precondition(headers))
        db.session.commit()
        return versioned(article, article.version)

    @requires(Role.ADMIN)
    @blp.arguments(WriteHeaders, location="headers")
    @blp.response(204)
    @blp.doc(operationId="deleteArticle")
    def delete(self, headers: dict[str, Any], article_id: int) -> None:
        """Delete an article that has no claims (409 otherwise); needs If-Match."""
        article_service.delete_article(article_id, precondition(headers))
        db.session.commit()


@blp.route("/<int:article_id>/claims")
class ArticleClaims(MethodView):
    @blp.arguments(ArticleClaimListArgs, location="query", as_kwargs=False)
    @blp.response(200, ClaimPageSchema, headers=LINK_HEADER_DOC)
    @blp.doc(operationId="listArticleClaims")
    def get(self, args: dict[str, Any], article_id: int) -> Reply:
        """The article's live claims, with the same filters as /claims."""
        article_service.get_article(article_id)
        page = page_request(args)
        return page_response(claim_service.list_claims(page, article_id=article_id, **args))

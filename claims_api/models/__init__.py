"""The data model: one module per aggregate."""

from claims_api.models.api_key import ApiKey
from claims_api.models.article import Article, ArticleAlias, ArticleVersion
from claims_api.models.base import Base
from claims_api.models.claim import Claim, ClaimSource, ClaimTag
from claims_api.models.entity import ClaimEntity, Entity, EntityAlias, EntityKindValue, EntityRole
from claims_api.models.event import Event
from claims_api.models.external_review import ExternalReview
from claims_api.models.import_run import ImportRun
from claims_api.models.proposition import PendingMatch, Proposition
from claims_api.models.relation import (
    ClaimGroup,
    ClaimGroupMember,
    ClaimRelation,
    RelationDecision,
)
from claims_api.models.review import ClaimAssignment, Review
from claims_api.models.revision import Revision
from claims_api.models.source import Source
from claims_api.models.webhook import Webhook, WebhookDelivery

__all__ = [
    "ApiKey",
    "Article",
    "ArticleAlias",
    "ArticleVersion",
    "Base",
    "Claim",
    "ClaimAssignment",
    "ClaimEntity",
    "ClaimGroup",
    "ClaimGroupMember",
    "ClaimRelation",
    "ClaimSource",
    "ClaimTag",
    "Entity",
    "EntityAlias",
    "EntityKindValue",
    "EntityRole",
    "Event",
    "ExternalReview",
    "ImportRun",
    "PendingMatch",
    "Proposition",
    "RelationDecision",
    "Review",
    "Revision",
    "Source",
    "Webhook",
    "WebhookDelivery",
]

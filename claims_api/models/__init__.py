"""The data model: one module per aggregate."""

from claims_api.models.article import Article
from claims_api.models.base import Base
from claims_api.models.claim import Claim, ClaimSource, ClaimTag
from claims_api.models.import_run import ImportRun
from claims_api.models.revision import Revision
from claims_api.models.source import Source

__all__ = ["Article", "Base", "Claim", "ClaimSource", "ClaimTag", "ImportRun", "Revision", "Source"]

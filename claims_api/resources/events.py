"""/events: the change feed consumers read from any point and resume without gaps."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from claims_api.resources.common import Blueprint
from claims_api.schemas.events import EventFeedArgs, EventFeedSchema
from claims_api.services import events as event_service

blp = Blueprint("events", __name__, url_prefix="/events", description="Change feed.")


@blp.route("")
class Events(MethodView):
    @blp.arguments(EventFeedArgs, location="query", as_kwargs=True)
    @blp.response(200, EventFeedSchema)
    @blp.problems(410)
    @blp.doc(operationId="listEvents")
    def get(self, limit: int, after: str | None = None, type: list[Any] | None = None) -> Any:
        """Events in the order they became visible, after the cursor `after`.

        Resume with `next_cursor`: no event is skipped or repeated, even when
        transactions commit out of the order they started. A cursor older than the
        retention (`CLAIMS_EVENT_RETENTION_DAYS`) is 410.
        """
        page = event_service.read_feed(after, type, limit)
        return {"items": page.items, "next_cursor": page.next_cursor}

"""The change feed, so another catalogue can mirror this one without re-harvesting it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from api.deps import Session
from api.problems import bad_parameter
from api.search_params import parse_moment
from harvester.search.changes import (
    PositionError,
    change_kind,
    changes,
    decode_position,
    encode_position,
)

router = APIRouter(prefix="/api/v1", tags=["changes"])


class Change(BaseModel):
    id: str
    kind: Literal["added", "updated", "withdrawn"]
    changed_at: datetime
    link: str
    record: dict[str, Any] | None = Field(
        description="The DCAT-AP record as in the index; null when withdrawn."
    )


class ChangeFeed(BaseModel):
    changes: list[Change]
    next_since: str = Field(description="Pass as `since` to resume after these changes.")
    more: bool = Field(description="Whether more changes are ready now.")
    next: str

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "changes": [
                        {
                            "id": "3f1c0d4e9b8a4c1f8e2d7a6b5c4d3e2f",
                            "kind": "updated",
                            "changed_at": "2026-11-01T04:00:00Z",
                            "link": "https://moisson.example/api/v1/datasets/3f1c…",
                            "record": {"identifier": "pistes", "title": {"fr": "Pistes"}},
                        }
                    ],
                    "next_since": "MTIzLjQ1",
                    "more": False,
                    "next": "https://moisson.example/api/v1/changes?since=MTIzLjQ1",
                }
            ]
        }
    }


@router.get("/changes", response_model=ChangeFeed, responses={400: {"description": "Bad since."}})
async def change_feed(
    request: Request,
    session: Session,
    since: Annotated[
        str | None,
        Query(
            description="`next_since` of the previous call, or an ISO date-time to start "
            "from (first sync); absent: from the beginning."
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ChangeFeed:
    """Added, updated and withdrawn datasets in the order of their latest change. Each
    dataset appears at its latest change; follow `next` until `more` is false, then poll."""
    position, changed_since = (0, 0), None
    if since:
        try:
            position = decode_position(since)
        except PositionError:
            if not since[:4].isdigit():
                raise bad_parameter(
                    "query.since", "expected a next_since token or an ISO date-time"
                ) from None
            changed_since = parse_moment("since", since)
    page = await changes(session, position, changed_since=changed_since, limit=limit)
    base = str(request.base_url).rstrip("/")
    token = encode_position(page.position)
    return ChangeFeed(
        changes=[
            Change(
                id=row.id,
                kind=change_kind(row),
                changed_at=row.withdrawn_at or row.updated_at,
                link=f"{base}/api/v1/datasets/{row.id}",
                record=None if row.withdrawn_at else row.record,
            )
            for row in page.rows
        ],
        next_since=token,
        more=page.more,
        next=str(request.url.include_query_params(since=token)),
    )

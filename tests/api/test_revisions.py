"""History: every change is one revision; snapshots, diffs and the revision feed."""

from __future__ import annotations

import uuid
from typing import Any

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import (
    check,
    create_article,
    create_claim,
    patch_claim,
    review_claim,
    seed_body,
)


def history(client: FlaskClient, claim_id: int) -> list[dict[str, Any]]:
    """All revisions of a claim, oldest first, following every page."""
    items: list[dict[str, Any]] = []
    url = f"/claims/{claim_id}/revisions?limit=2"
    while url:
        page = check(client.get(url), 200)
        items.extend(page["items"])
        cursor = page["next_cursor"]
        url = f"/claims/{claim_id}/revisions?limit=2&cursor={cursor}" if cursor else ""
    return items[::-1]


def assert_history_invariants(client: FlaskClient, claim_id: int) -> list[dict[str, Any]]:
    revisions = history(client, claim_id)
    assert [item["number"] for item in revisions] == list(range(1, len(revisions) + 1)), (
        "revision numbers must be 1..n without gap"
    )
    previous: dict[str, Any] = {}
    for item in revisions:
        assert item["claim_id"] == claim_id
        expected = {
            name: {"old": previous.get(name), "new": value}
            for name, value in item["snapshot"].items()
            if name not in {"revision", "updated_at"} and previous.get(name) != value
        }
        assert item["changes"] == expected, f"revision {item['number']} changes"
        diff = check(client.get(f"/claims/{claim_id}/revisions/{item['number']}/diff"), 200)
        assert diff["changes"] == expected
        assert item["snapshot"]["revision"] == item["number"]
        previous = item["snapshot"]
    return revisions


def test_snapshot_equals_the_claim_as_read_after_each_change(client: FlaskClient) -> None:
    article = create_article(client)
    claim = create_claim(client, article["id"])
    reads = [claim]
    claim = check(patch_claim(client, claim, text="Edited once."), 200)
    reads.append(check(client.get(f"/claims/{claim['id']}"), 200))
    response = client.post(
        f"/claims/{claim['id']}/sources", json={"url": "https://example.org/a", "stance": "refutes"}
    )
    check(response, 201)
    reads.append(check(client.get(f"/claims/{claim['id']}"), 200))
    claim = check(patch_claim(client, reads[-1], tags=[]), 200)
    reads.append(check(client.get(f"/claims/{claim['id']}"), 200))
    for status in ("in_review", "disputed"):
        check(review_claim(client, reads[-1], status), 201)
        reads.append(check(client.get(f"/claims/{claim['id']}"), 200))
    revisions = assert_history_invariants(client, claim["id"])
    assert [item["snapshot"] for item in revisions] == reads


def test_revision_carries_actor_reason_time_and_action(client: FlaskClient) -> None:
    article = create_article(client)
    claim = create_claim(client, article["id"], actor="ann")
    revision = check(client.get(f"/claims/{claim['id']}/revisions/1"), 200)
    assert revision["actor"] == "ann"
    assert revision["action"] == "create"
    assert revision["reason"] is None
    assert revision["created_at"] == claim["created_at"]
    assert revision["created_at"].endswith("+00:00")


def test_missing_revision_is_404(client: FlaskClient) -> None:
    article = create_article(client)
    claim = create_claim(client, article["id"])
    check(client.get(f"/claims/{claim['id']}/revisions/2"), 404)
    check(client.get("/claims/999/revisions"), 404)
    check(client.get("/claims/999/revisions/1"), 404)
    check(client.get(f"/claims/{claim['id']}/revisions/1/diff?against=7"), 404)


def test_diff_against_any_revision(client: FlaskClient) -> None:
    article = create_article(client)
    original = create_claim(client, article["id"])
    check(review_claim(client, original, "in_review"), 201)
    claim = check(client.get(f"/claims/{original['id']}"), 200)
    claim = check(patch_claim(client, claim, text="Third."), 200)
    diff = check(client.get(f"/claims/{claim['id']}/revisions/3/diff?against=1"), 200)
    assert (diff["number"], diff["against"]) == (3, 1)
    assert diff["changes"] == {
        "status": {"old": "unverified", "new": "in_review"},
        "text": {"old": original["text"], "new": "Third."},
    }
    backwards = check(client.get(f"/claims/{claim['id']}/revisions/1/diff?against=3"), 200)
    assert backwards["changes"]["text"] == {"old": "Third.", "new": original["text"]}


def test_revision_feed_filters_by_actor_and_time(client: FlaskClient) -> None:
    article = create_article(client)
    first = create_claim(client, article["id"], actor="ann")
    second = create_claim(
        client,
        article["id"],
        actor="bob",
        kind="other",
        quantity=None,
        quote={"exact": "Ukraine has not joined NATO"},
    )
    check(patch_claim(client, first, actor="bob", text="Edited by bob."), 200)
    feed = check(client.get("/revisions"), 200)["items"]
    assert [(item["claim_id"], item["number"]) for item in feed] == [
        (first["id"], 2),
        (second["id"], 1),
        (first["id"], 1),
    ]
    bob = check(client.get("/revisions?actor=bob"), 200)["items"]
    assert {(item["claim_id"], item["number"]) for item in bob} == {
        (first["id"], 2),
        (second["id"], 1),
    }
    since = feed[1]["created_at"]
    recent = check(client.get("/revisions", query_string={"since": since}), 200)["items"]
    assert [item["number"] for item in recent] == [2, 1]
    older = check(client.get("/revisions", query_string={"until": since}), 200)["items"]
    assert [(item["claim_id"], item["number"]) for item in older] == [(first["id"], 1)]
    window = {"since": feed[0]["created_at"], "until": feed[2]["created_at"]}
    assert "until" in check(client.get("/revisions", query_string=window), 422)["errors"]


def test_deleting_a_claim_keeps_every_revision(client: FlaskClient) -> None:
    article = create_article(client)
    claim = create_claim(client, article["id"])
    claim = check(patch_claim(client, claim, text="Edited."), 200)
    response = client.delete(f"/claims/{claim['id']}", headers={"If-Match": '"2"'})
    assert response.status_code == 204
    revisions = assert_history_invariants(client, claim["id"])
    assert [item["action"] for item in revisions] == ["create", "update", "delete"]


# A random walk over the edits a fact-checker makes; after every step the
# history must still hold its invariants and the latest snapshot must be the claim.
BODY = seed_body()
ANCHORS = ["Ukraine has not joined NATO", "around 130,000 Russian troops", "Wang told Blinken"]
edit = st.one_of(
    st.fixed_dictionaries(
        {
            "text": st.text(
                st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=40
            ).filter(str.strip)
        }
    ),
    st.fixed_dictionaries(
        {"tags": st.lists(st.sampled_from(["NATO", "Ukraine", "Russia", "China"]), max_size=4)}
    ),
    st.fixed_dictionaries(
        {"review": st.sampled_from(["unverified", "in_review", "verified", "false"])}
    ),
    st.fixed_dictionaries({"quote": st.sampled_from(ANCHORS).map(lambda exact: {"exact": exact})}),
    st.fixed_dictionaries(
        {
            "kind": st.just("statement"),
            "statement": st.fixed_dictionaries(
                {
                    "speaker": st.sampled_from(["Wang Yi", "Vladimir Putin"]),
                    "verbatim": st.booleans(),
                }
            ),
        }
    ),
    st.fixed_dictionaries(
        {
            "link": st.fixed_dictionaries(
                {
                    "url": st.sampled_from(["https://example.org/a", "https://example.org/b"]),
                    "stance": st.sampled_from(["supports", "refutes", "context"]),
                }
            )
        }
    ),
    st.fixed_dictionaries(
        {"unlink": st.sampled_from(["https://example.org/a", "https://example.org/b"])}
    ),
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(edits=st.lists(edit, min_size=1, max_size=8))
def test_random_edit_sequences_keep_history_consistent(
    client: FlaskClient, edits: list[dict[str, Any]]
) -> None:
    article = create_article(client, url=f"https://example.org/{uuid.uuid4()}")
    claim = create_claim(client, article["id"])
    for step in edits:
        etag = {"If-Match": f'"{claim["revision"]}"'}
        if "link" in step:
            response = client.post(
                f"/claims/{claim['id']}/sources", json=step["link"], headers=etag
            )
            assert response.status_code in (200, 201), response.get_json()
        elif "unlink" in step:
            linked = [s["source_id"] for s in claim["sources"] if s["url"] == step["unlink"]]
            if not linked:
                continue
            response = client.delete(f"/claims/{claim['id']}/sources/{linked[0]}", headers=etag)
            check(response, 200)
        elif "review" in step:
            # The workflow refuses some moves (409); those change nothing.
            response = review_claim(client, claim, step["review"])
            assert response.status_code in (201, 409), response.get_json()
        else:
            check(client.patch(f"/claims/{claim['id']}", json=step, headers=etag), 200)
        claim = check(client.get(f"/claims/{claim['id']}"), 200)
    revisions = assert_history_invariants(client, claim["id"])
    assert revisions[-1]["snapshot"] == claim
    assert claim["revision"] == len(revisions)

"""Record one real request and response per operation for the OpenAPI document's examples.

    python -m tests.openapi_examples

Runs the service on a scratch SQLite database, calls every operation once (the seed
article, a claim of it through review and publication, the other resources around
them) and writes claims_api/openapi_examples.json, keyed by operationId.
tests/api/test_contract.py checks every operation has one and that each fits its
schemas, so run this again when a response shape changes.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from claims_api import create_app, migrations
from claims_api.extensions import db
from tests.factories import issue_token, seed_document

OUTPUT = Path(__file__).resolve().parents[1] / "claims_api" / "openapi_examples.json"


class Recorder:
    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client, self.token = client, token
        self.examples: dict[str, dict[str, Any]] = {}

    def call(
        self,
        operation_id: str,
        method: str,
        url: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        token: str | None = None,
    ) -> TestResponse:
        auth = {"Authorization": f"Bearer {token or self.token}"}
        response = self.client.open(
            url, method=method, json=body, headers={**auth, **(headers or {})}
        )
        assert response.status_code < 300, (operation_id, response.get_data(as_text=True)[:500])
        entry: dict[str, Any] = {} if body is None else {"request": body}
        if response.is_json and response.get_data():
            entry["response"] = response.get_json()
        self.examples[operation_id] = entry
        return response

    def etag(self, url: str) -> dict[str, str]:
        auth = {"Authorization": f"Bearer {self.token}"}
        return {"If-Match": self.client.get(url, headers=auth).headers["ETag"]}


def record(folder: Path) -> dict[str, dict[str, Any]]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{folder / 'examples.sqlite3'}",
            "IMPORT_SPOOL_DIR": str(folder / "spool"),
        }
    )
    with app.app_context():
        migrations.upgrade(db.engine)
    admin, reviewer = issue_token(app, "alice", "admin"), issue_token(app, "bob", "reviewer")
    client = app.test_client()
    rec = Recorder(client, admin)
    seed = seed_document()
    fields = {name: value for name, value in seed["article"].items() if value is not None}
    article = rec.call("createArticle", "POST", "/articles", fields).get_json()
    article_url = f"/articles/{article['id']}"
    rec.call("getArticle", "GET", article_url)
    rec.call("listArticles", "GET", "/articles?limit=1")
    rec.call(
        "updateArticle",
        "PATCH",
        article_url,
        {"publisher": "The National Interest"},
        rec.etag(article_url),
    )
    claim_body = {
        "article_id": article["id"],
        "text": "Ukraine is not a member of NATO.",
        "kind": "membership",
        "quote": {"exact": "Ukraine has not joined NATO"},
        "membership": {"member": "Ukraine", "organization": "NATO", "relation": "not_member"},
        "tags": ["NATO", "Ukraine"],
        "sources": [
            {"url": "https://www.nato.int/cps/en/natohq/topics_52044.htm", "stance": "supports"}
        ],
    }
    claim = rec.call("createClaim", "POST", "/claims", claim_body).get_json()
    claim_url = f"/claims/{claim['id']}"
    rec.call("getClaim", "GET", claim_url)
    rec.call("listClaims", "GET", "/claims?tag=NATO&limit=1")
    rec.call("listArticleClaims", "GET", f"{article_url}/claims?limit=1")
    nato = rec.call("listEntities", "GET", "/entities?q=nato&limit=1").get_json()["items"][0]
    nato_url = f"/entities/{nato['id']}"
    rec.call("getEntity", "GET", nato_url)
    rec.call("listEntityClaims", "GET", f"{nato_url}/claims?role=mentioned&limit=1")
    rec.call("addEntityAlias", "POST", f"{nato_url}/aliases", {"alias": "the Atlantic Treaty"})
    duplicate = rec.call(
        "createEntity",
        "POST",
        "/entities",
        {"name": "N.A.T.O. alliance", "kind": "organization", "aliases": ["NATO military bloc"]},
    ).get_json()
    rec.call("mergeEntity", "POST", f"/entities/{duplicate['id']}/merge", {"into": nato["id"]})
    rec.call(
        "updateClaim",
        "PATCH",
        claim_url,
        {"priority": 1, "reason": "front-page claim"},
        rec.etag(claim_url),
    )
    linked = rec.call(
        "linkClaimSource",
        "POST",
        f"{claim_url}/sources",
        {
            "url": "https://www.reuters.com/world/europe/ukraine-nato-2022-02-14/",
            "stance": "context",
            "title": "Ukraine and NATO",
        },
        rec.etag(claim_url),
    ).get_json()
    context = next(s for s in linked["sources"] if s["stance"] == "context")["source_id"]
    rec.call(
        "unlinkClaimSource", "DELETE", f"{claim_url}/sources/{context}", None, rec.etag(claim_url)
    )
    rec.call("listSources", "GET", "/sources?limit=1")
    source = rec.call(
        "createSource",
        "POST",
        "/sources",
        {
            "url": "https://www.nato.int/cps/en/natohq/official_texts_17120.htm",
            "title": "The North Atlantic Treaty",
            "publisher": "NATO",
            "kind": "official_statement",
        },
    ).get_json()
    source_url = f"/sources/{source['id']}"
    rec.call("getSource", "GET", source_url)
    rec.call(
        "updateSource",
        "PATCH",
        source_url,
        {"title": "The North Atlantic Treaty (1949)"},
        rec.etag(source_url),
    )
    rec.call("listClaimRevisions", "GET", f"{claim_url}/revisions?limit=1")
    rec.call("getClaimRevision", "GET", f"{claim_url}/revisions/2")
    rec.call("diffClaimRevision", "GET", f"{claim_url}/revisions/2/diff")
    rec.call("listRevisions", "GET", "/revisions?limit=1")

    # The body is edited: a new version, the claim's quote moves with it.
    edited = "Editor's note: updated on 15 February.\n\n" + seed["article"]["body"]
    rec.call("updateArticle", "PATCH", article_url, {"body": edited}, rec.etag(article_url))
    rec.call("listArticleVersions", "GET", f"{article_url}/versions")
    rec.call("getArticleVersion", "GET", f"{article_url}/versions/1")
    rec.call("diffArticleVersions", "GET", f"{article_url}/versions/2/diff?against=1")
    now = rec.client.get(claim_url, headers={"Authorization": f"Bearer {admin}"}).get_json()
    rec.call(
        "setClaimAnchor",
        "PUT",
        f"{claim_url}/anchor",
        {"start": now["quote"]["start"], "end": now["quote"]["end"]},
        rec.etag(claim_url),
        token=reviewer,
    )

    rec.call("listReviewQueue", "GET", "/review-queue?limit=1")
    rec.call("leaseClaim", "POST", f"{claim_url}/assignment", {"minutes": 30}, token=reviewer)
    rec.call("releaseClaim", "DELETE", f"{claim_url}/assignment", token=reviewer)
    rec.call(
        "takeNextClaim",
        "POST",
        "/review-queue/claims",
        {"minutes": 30, "tag": ["NATO"]},
        token=reviewer,
    )
    rec.call(
        "reviewClaim",
        "POST",
        f"{claim_url}/reviews",
        {"status": "in_review"},
        rec.etag(claim_url),
        token=reviewer,
    )
    rec.call(
        "reviewClaim",
        "POST",
        f"{claim_url}/reviews",
        {
            "status": "verified",
            "rationale": "NATO lists its 30 members; Ukraine is not one of them.",
            "evidence": [
                {"url": "https://www.nato.int/cps/en/natohq/topics_52044.htm", "stance": "supports"}
            ],
        },
        rec.etag(claim_url),
        token=reviewer,
    )
    rec.call("listClaimReviews", "GET", f"{claim_url}/reviews?limit=1")
    rec.call(
        "publishVerdict", "POST", f"{claim_url}/publish", None, rec.etag(claim_url), token=reviewer
    )
    rec.call("getClaimReview", "GET", f"{claim_url}/claimreview")
    second = client.post(
        "/claims",
        json={**claim_body, "key": "second", "sources": []},
        headers={"Authorization": f"Bearer {admin}"},
    ).get_json()
    rec.call(
        "reviewClaimsInBulk",
        "POST",
        "/reviews/bulk",
        {
            "status": "in_review",
            "claims": [{"claim_id": second["id"], "revision": second["revision"]}],
            "reason": "weekly triage",
        },
        token=reviewer,
    )
    relation = rec.call(
        "decideClaimRelation",
        "POST",
        f"/claims/{second['id']}/relations",
        {"claim_id": claim["id"], "relation": "same", "note": "Same membership, same day."},
        token=reviewer,
    ).get_json()
    rec.call("listClaimRelations", "GET", f"/claims/{second['id']}/relations?limit=1")
    rec.call("getClaimRelation", "GET", f"/claims/{claim['id']}/relations/{relation['id']}")
    group = rec.call("getClaimGroupOfClaim", "GET", f"/claims/{second['id']}/group").get_json()
    rec.call("getClaimGroup", "GET", f"/claim-groups/{group['id']}")
    paraphrases = [
        client.post(
            "/claims",
            json={**claim_body, "key": key, "text": text, "sources": []},
            headers={"Authorization": f"Bearer {admin}"},
        ).get_json()
        for key, text in [
            ("third", "Ukraine has not joined NATO."),
            ("fourth", "Ukraine is not a member of the alliance."),
        ]
    ]
    joined = client.post(
        f"/claims/{paraphrases[0]['id']}/relations",
        json={"claim_id": paraphrases[1]["id"], "relation": "same"},
        headers={"Authorization": f"Bearer {reviewer}"},
    ).get_json()
    pair_group = f"/claims/{paraphrases[0]['id']}/group"
    rec.call(
        "reviewClaimGroup",
        "POST",
        f"/claim-groups/{client.get(pair_group).get_json()['id']}/reviews",
        {"status": "in_review", "reason": "one review for the paraphrases"},
        rec.etag(pair_group),
        token=reviewer,
    )
    rec.call(
        "withdrawClaimRelation",
        "DELETE",
        f"/claims/{paraphrases[0]['id']}/relations/{joined['id']}",
        None,
        {"If-Match": f'"{joined["revision"]}"', "X-Reason": "The alliance is not NATO here."},
        token=reviewer,
    )
    rec.call("extractArticleClaims", "POST", f"{article_url}/extract?min_score=0.5")
    rec.call("listKeys", "GET", "/keys?limit=1")
    key = rec.call(
        "createKey", "POST", "/keys", {"name": "carol", "role": "contributor"}
    ).get_json()
    rec.call("getKey", "GET", f"/keys/{key['id']}")
    rec.call("revokeKey", "DELETE", f"/keys/{key['id']}")
    # A receiver on loopback, allowed as the tests allow theirs; nothing is sent to it.
    app.config["WEBHOOK_ALLOWED_HOSTS"] = "127.0.0.1"
    webhook = rec.call(
        "createWebhook",
        "POST",
        "/webhooks",
        {
            "url": "http://127.0.0.1:9000/claims-events",
            "events": ["claim.published", "claim.corrected"],
            "description": "The CMS updates its fact-check boxes.",
        },
    ).get_json()
    webhook_url = f"/webhooks/{webhook['id']}"
    rec.call("listWebhooks", "GET", "/webhooks?limit=1")
    rec.call("getWebhook", "GET", webhook_url)
    rec.call(
        "updateWebhook",
        "PATCH",
        webhook_url,
        {"events": ["claim.published", "claim.corrected", "claim.deleted"]},
        rec.etag(webhook_url),
    )
    rec.call("rotateWebhookSecret", "POST", f"{webhook_url}/rotate-secret")
    ping = rec.call("pingWebhook", "POST", f"{webhook_url}/ping").get_json()
    rec.call("listWebhookDeliveries", "GET", f"{webhook_url}/deliveries?limit=1")
    rec.call("redeliverWebhookDelivery", "POST", f"{webhook_url}/deliveries/{ping['id']}/redeliver")
    rec.call("deleteWebhook", "DELETE", webhook_url)
    run = client.post(
        "/imports?name=seed",
        data=json.dumps(seed),
        headers={"Authorization": f"Bearer {admin}", "Content-Type": "application/json"},
    ).get_json()
    rec.examples["createImport"] = {"response": run}
    rec.call("getImport", "GET", f"/imports/{run['id']}")
    queued = client.post(
        "/imports?name=later",
        data=json.dumps(seed),
        headers={
            "Authorization": f"Bearer {admin}",
            "Content-Type": "application/json",
            "Prefer": "respond-async",
        },
    ).get_json()
    rec.call("cancelImport", "DELETE", f"/imports/{queued['id']}")
    rec.call("exportClaims", "GET", "/export?format=jsonl")
    rec.call("listEvents", "GET", "/events?limit=2")
    rec.call("listClaimMatches", "GET", f"{claim_url}/matches?limit=2")
    rec.call(
        "matchClaim",
        "POST",
        "/claims/match",
        {
            "text": "Ukraine joined NATO last year.",
            "kind": "membership",
            "membership": {"member": "Ukraine", "organization": "NATO", "relation": "member"},
            "limit": 2,
        },
    )
    rec.call("getLiveness", "GET", "/health/live")
    rec.call("getReadiness", "GET", "/health/ready")
    rec.call("getHealth", "GET", "/health")
    rec.call(
        "deleteClaim",
        "DELETE",
        f"/claims/{second['id']}",
        None,
        rec.etag(f"/claims/{second['id']}"),
    )
    empty = client.post(
        "/articles",
        json={"url": "https://example.org/empty", "title": "Empty"},
        headers={"Authorization": f"Bearer {admin}"},
    ).get_json()
    rec.call(
        "deleteArticle",
        "DELETE",
        f"/articles/{empty['id']}",
        None,
        rec.etag(f"/articles/{empty['id']}"),
    )
    # A refresh needs a page on the web; its answer is the article as it then reads.
    current = client.get(article_url, headers={"Authorization": f"Bearer {admin}"}).get_json()
    rec.examples["refreshArticle"] = {
        "response": {"changed": False, "not_modified": True, "article": current}
    }
    spec = client.get("/openapi.json").get_json()
    operations = {
        op["operationId"]
        for item in spec["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }
    missing = operations - set(rec.examples)
    if missing:
        print(f"no example for {sorted(missing)}", file=sys.stderr)
    return rec.examples


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        examples = record(Path(folder))
    OUTPUT.write_text(json.dumps(examples, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(examples)} examples written to {OUTPUT}")


if __name__ == "__main__":
    main()

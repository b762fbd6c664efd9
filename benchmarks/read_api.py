"""Read throughput of `claims-api serve` against one SQL statement that builds the JSON.

    python -m benchmarks.read_api [--claims 100000] [--rounds 3] [--seconds 5]
        [--requests /claims?limit=50,/claims?limit=200,/claims/50000,
                    /articles/2500/claims,/review-queue?limit=50] [--clients 1,8]

For each database (SQLite, PostgreSQL): build, or reuse from ``--scratch``, a corpus
of ``--claims`` claims (20 per article, 2 tags and 2 source links each) written by
the service's import; start `claims-api serve` and a reference app under the same
gunicorn settings (``claims_api.server.serve``: 2 workers x 4 threads), both on
loopback. The reference is a minimal Flask app whose one SQL statement builds the
page's (or the claim's) JSON in the database (SQLite ``json_group_array``, PostgreSQL
``array_to_json``/``row_to_json``); Python only escapes non-ASCII as the project's
JSON does and encodes the cursor. Before any load, the two bodies of each page are
compared byte for byte, and the run stops if they differ. Then each
(database, request, clients) is loaded with wrk (or, without wrk, a bounded
thread loop), project and reference alternating, ``--rounds`` times, for
``--seconds`` each; medians of requests per second, and their ratio, are printed.
Figures only: it asserts nothing but the identical bodies.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import SimpleNamespace

from flask import Flask, Response, request
from sqlalchemy import DateTime, bindparam, create_engine, make_url, text

from benchmarks.corpus import write_jsonl
from claims_api import create_app, migrations, server, workflow
from claims_api.extensions import db
from claims_api.models import Claim
from claims_api.models.base import utcnow
from claims_api.models.vocabulary import Role
from claims_api.resources.common import ascii_escaped
from claims_api.schemas.common import PAGE_SIZE_DEFAULT
from claims_api.services.imports import ImportReport, import_stream
from claims_api.services.pagination import SortOrder, encode_cursor
from claims_api.services.revisions import Change

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/claims_bench"
CLAIMS_PER_ARTICLE = 20
# Each list's default order: claim lists by id, the review queue by creation.
ID_ORDER = SortOrder("id", Claim.id, Claim.id)
CREATED_ORDER = SortOrder("created_at", Claim.created_at, Claim.id)
DEFAULT_REQUESTS = (
    "/claims?limit=50,/claims?limit=200,/claims/50000,/articles/2500/claims,/review-queue?limit=50"
)


# --- The reference: one statement builds the page ------------------------------------


def iso(column: str, dialect: str) -> str:
    """SQL rendering a UTC timestamp as Python's isoformat() does (no .000000)."""
    if dialect == "sqlite":
        # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC, fixed width).
        return (
            f"CASE WHEN {column} IS NULL THEN NULL ELSE replace(CASE WHEN substr({column}, 21)"
            f" = '000000' THEN substr({column}, 1, 19) ELSE {column} END, ' ', 'T')"
            " || '+00:00' END"
        )
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN"
        f" date_part('microseconds', {column})::bigint % 1000000 = 0 THEN ''"
        f" ELSE to_char({utc}, '.US') END || '+00:00'"
    )


def json_object(pairs: dict[str, str], dialect: str) -> str:
    """An object of ``pairs`` (name -> SQL), keys sorted as the project's JSON sorts them."""
    ordered = sorted(pairs.items())
    if dialect == "sqlite":
        return "json_object(" + ", ".join(f"'{name}', {sql}" for name, sql in ordered) + ")"
    columns = ", ".join(f'{sql} AS "{name}"' for name, sql in ordered)
    return f"(SELECT row_to_json(o) FROM (SELECT {columns}) o)"


def json_array(item: str, source: str, order: str, dialect: str, *, scalar: bool = False) -> str:
    """The JSON array of ``item`` (JSON, or a ``scalar`` SQL value) over the rows of
    ``source``, in ``order``."""
    if dialect == "sqlite":
        # A JSON value loses its JSON type through the subquery: json() gives it back.
        element = "item" if scalar else "json(item)"
        return (
            f"json((SELECT json_group_array({element}) FROM"
            f" (SELECT {item} AS item {source} ORDER BY {order})))"
        )
    return f"coalesce((SELECT array_to_json(array_agg({item} ORDER BY {order})) {source}), '[]')"


def maybe(condition: str, value: str, dialect: str) -> str:
    """``value`` when ``condition`` holds, else JSON null."""
    sql = f"CASE WHEN {condition} THEN {value} END"
    return f"json({sql})" if dialect == "sqlite" else sql


def member(column: str, key: str, dialect: str) -> str:
    """A member of a JSON column, as JSON."""
    return f"{column} -> '$.{key}'" if dialect == "sqlite" else f"{column} -> '{key}'"


def structured(kind: str, keys: list[str], dialect: str) -> str:
    fields = {key: member("c.details", key, dialect) for key in keys}
    return maybe(f"c.kind = '{kind}'", json_object(fields, dialect), dialect)


def claim_json(dialect: str) -> str:
    """The SQL of one claim ``c`` as the API shows it (ClaimSchema's fields)."""
    d = dialect
    tag_source = "FROM claim_tags t WHERE t.claim_id = c.id"
    link_source = (
        "FROM claim_sources cs JOIN sources s ON s.id = cs.source_id WHERE cs.claim_id = c.id"
    )
    review_source = "FROM external_reviews er WHERE er.claim_id = c.id"
    rating_keys = ["value", "best", "worst", "alternate_name", "name"]
    is_object = (
        "json_type(er.rating) = 'object'" if d == "sqlite" else "jsonb_typeof(er.rating) = 'object'"
    )
    external = json_object(
        {
            "reviewer": "er.reviewer",
            "reviewer_url": "er.reviewer_url",
            "url": "er.url",
            "published_at": iso("er.published_at", d),
            "rating": maybe(
                is_object,
                json_object({key: member("er.rating", key, d) for key in rating_keys}, d),
                d,
            ),
        },
        d,
    )
    link = json_object(
        {
            "source_id": "cs.source_id",
            "url": "s.url",
            "title": "s.title",
            "publisher": "s.publisher",
            "kind": "s.kind",
            "stance": "cs.stance",
            "excerpt": "cs.excerpt",
            "note": "cs.note",
        },
        d,
    )
    quote = {
        "exact": "c.quote_exact",
        "start": "c.quote_start",
        "end": "c.quote_end",
        "prefix": "c.quote_prefix",
        "suffix": "c.quote_suffix",
    }
    anchor = {
        "state": "c.anchor_state",
        "version": "c.anchor_version",
        "score": "c.anchor_score",
        "previous_exact": "c.anchor_previous_exact",
    }
    needs_review = {"reason": "c.needs_review_reason", "since": iso("c.needs_review_since", d)}
    quantity = ["value", "unit", "approximate", "lower_bound", "upper_bound", "subject"]
    quantity += ["location", "as_of"]
    membership = ["member", "organization", "relation", "as_of"]
    statement = ["speaker", "speaker_role", "audience", "attribution", "verbatim"]
    return json_object(
        {
            "id": "c.id",
            "article_id": "c.article_id",
            "key": "c.key",
            "text": "c.text",
            "kind": "c.kind",
            "quote": maybe("c.quote_exact IS NOT NULL", json_object(quote, d), d),
            "anchor": maybe("c.anchor_state IS NOT NULL", json_object(anchor, d), d),
            "needs_review": maybe(
                "c.needs_review_reason IS NOT NULL", json_object(needs_review, d), d
            ),
            "quantity": structured("quantity", quantity, d),
            "membership": structured("membership", membership, d),
            "statement": structured("statement", statement, d),
            "tags": json_array("t.tag", tag_source, "t.tag", d, scalar=True),
            "status": "c.status",
            # The corpus publishes no verdict: the byte check fails if one appears.
            "rating": "NULL",
            "external_reviews": json_array(external, review_source, "er.id", d),
            "priority": "c.review_priority",
            "published_review_id": "c.published_review_id",
            "sources": json_array(link, link_source, "cs.source_id", d),
            "revision": "c.revision",
            "created_at": iso("c.created_at", d),
            "updated_at": iso("c.updated_at", d),
            "deleted_at": iso("c.deleted_at", d),
            "verdict_concerns_earlier_version": (
                "json(CASE WHEN c.published_review_id IS NOT NULL AND"
                " c.needs_review_since IS NOT NULL THEN 'true' ELSE 'false' END)"
                if d == "sqlite"
                else "(c.published_review_id IS NOT NULL AND c.needs_review_since IS NOT NULL)"
            ),
        },
        d,
    )


# What each list reads, as its WHERE clause, and in which order.
LISTS = {
    "claims": ("deleted_at IS NULL", ID_ORDER),
    "article": ("deleted_at IS NULL AND article_id = :article_id", ID_ORDER),
    # The review queue: awaiting review (a status without a verdict, or flagged), and
    # leased to nobody (services/review_queue.py).
    "queue": (
        "deleted_at IS NULL AND (status IN :awaiting OR needs_review_since IS NOT NULL)"
        " AND NOT EXISTS (SELECT 1 FROM claim_assignments a WHERE a.claim_id = claims.id"
        " AND a.expires_at > :now)",
        CREATED_ORDER,
    ),
}


def page_statement(dialect: str, where: str, order: SortOrder) -> str:
    """One statement: the page's claims (those ``where`` selects, in ``order``) as a JSON
    array, whether there is a next page, and the position of its last claim (for the
    cursor)."""
    key = order.item_keys[0]
    keys = "id" if key == "id" else f"{key}, id"
    page = f"SELECT * FROM claims WHERE {where} ORDER BY {keys} LIMIT :limit + 1"
    shown = f"SELECT * FROM page ORDER BY {keys} LIMIT :limit"
    ordered = ", ".join(f"c.{column.strip()}" for column in keys.split(","))
    items = json_array(claim_json(dialect), "FROM shown c", ordered, dialect)
    if dialect == "postgresql":
        items += "::text"  # as the database wrote it: the driver would decode json
    backwards = ", ".join(f"{column} DESC" for column in ordered.split(", "))
    last = f"(SELECT {{}} FROM shown c ORDER BY {backwards} LIMIT 1)"
    position = "c.id" if key == "id" else iso(f"c.{key}", dialect)
    return (
        f"WITH page AS ({page}), shown AS ({shown}) SELECT {items},"
        f" (SELECT count(*) FROM page) > :limit, {last.format(position)},"
        f" {last.format('c.id')}"
    )


def claim_statement(dialect: str) -> str:
    """One statement: the claim ``:claim_id`` as GET /claims/{claim_id} shows it."""
    return f"SELECT {claim_json(dialect)}{'::text' if dialect == 'postgresql' else ''}" + (
        " FROM claims c WHERE c.id = :claim_id AND c.deleted_at IS NULL"
    )


def reference_app(url: str) -> Flask:
    """GET /claims, /articles/{id}/claims and /review-queue (each with ``limit``) and
    GET /claims/{id}, each from one statement, with nothing else around it."""
    app = Flask("reference")
    engine = create_engine(url, pool_size=4)
    dialect = engine.dialect.name
    lists = {
        name: text(page_statement(dialect, where, order)).bindparams(
            *([bindparam("awaiting", expanding=True), bindparam("now", type_=DateTime(True))])
            if name == "queue"
            else ()
        )
        for name, (where, order) in LISTS.items()
    }
    one_claim = text(claim_statement(dialect))

    def page(name: str, **parameters: object) -> Response:
        parameters["limit"] = int(request.args.get("limit", PAGE_SIZE_DEFAULT))
        with engine.connect() as connection:
            items, more, last_key, last_id = connection.execute(lists[name], parameters).one()
        cursor = "null"
        if more:
            order = LISTS[name][1]
            last = SimpleNamespace(**{order.item_keys[0]: last_key, "id": last_id})
            cursor = f'"{encode_cursor(order, last)}"'
        body = f'{{"items":{items},"next_cursor":{cursor}}}\n'.encode()
        return Response(ascii_escaped(body), mimetype="application/json")

    @app.get("/claims/<int:claim_id>")
    def claim(claim_id: int) -> Response:
        with engine.connect() as connection:
            document = connection.execute(one_claim, {"claim_id": claim_id}).scalar_one()
        body = ascii_escaped(f"{document}\n".encode())
        return Response(body, mimetype="application/json")

    @app.get("/claims")
    def claims() -> Response:
        return page("claims")

    @app.get("/articles/<int:article_id>/claims")
    def article_claims(article_id: int) -> Response:
        return page("article", article_id=article_id)

    @app.get("/review-queue")
    def review_queue() -> Response:
        return page("queue", awaiting=list(workflow.DEFAULT.awaiting_review), now=utcnow())

    return app


# --- Corpus, servers, load -------------------------------------------------------------


def corpus_database(kind: str, claims: int, scratch: Path, postgres_url: str) -> str:
    """A database holding the corpus at the current schema, built once and reused."""
    head = migrations.head_revision()
    if kind == "sqlite":
        url = f"sqlite:///{scratch / f'read-{claims}-{head}.sqlite3'}"
    else:
        base = make_url(postgres_url)
        url = base.set(database=f"{base.database}_read_{claims}").render_as_string(False)
    if _holds_corpus(url, claims, head):
        print(f"{kind}: reusing the corpus of {claims:,} claims ({url})", flush=True)
        return url
    if kind == "sqlite":
        Path(make_url(url).database or "").unlink(missing_ok=True)
    else:
        target = make_url(url)
        admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{target.database}"'))
        admin.dispose()
    corpus = write_jsonl(
        scratch / f"read-{claims}.jsonl", max(1, claims // CLAIMS_PER_ARTICLE), CLAIMS_PER_ARTICLE
    )
    started = time.perf_counter()
    app = create_app({"DATABASE_URL": url})
    with app.app_context():
        migrations.upgrade(db.engine)
        report = ImportReport(corpus.name)
        with corpus.open("rb") as stream:
            import_stream(stream, "jsonl", report, Change("benchmark"), role=Role.ADMIN)
        db.session.commit()
        assert report.error_count == 0, report.errors[:3]
        if kind == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        db.engine.dispose()
    print(
        f"{kind}: imported {claims:,} claims in {time.perf_counter() - started:.0f} s", flush=True
    )
    return url


def _holds_corpus(url: str, claims: int, head: str | None) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            count = connection.execute(text("SELECT count(*) FROM claims")).scalar()
        return version == head and count == claims
    except Exception:  # no database, no tables: build it
        return False
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serving(command: list[str], url: str, port: int) -> Iterator[str]:
    """A server started by ``command`` on ``port``, until the block ends."""
    process = subprocess.Popen(
        command,
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/claims?limit=1", timeout=10).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{command} did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        body: bytes = response.read()
        return body


def requests_per_second(url: str, clients: int, seconds: int) -> float:
    """Throughput of ``clients`` connections asking for ``url`` for ``seconds``."""
    if shutil.which("wrk"):
        run = subprocess.run(
            ["wrk", f"-t{clients}", f"-c{clients}", f"-d{seconds}s", "--timeout", "30s", url],
            capture_output=True,
            text=True,
            check=True,
        )
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", run.stdout)
        if errors or "Socket errors" in run.stdout:
            raise RuntimeError(f"wrk saw failed requests:\n{run.stdout}")
        found = re.search(r"Requests/sec:\s+([\d.]+)", run.stdout)
        assert found, run.stdout
        return float(found.group(1))
    return _thread_loop(url, clients, seconds)


def _thread_loop(url: str, clients: int, seconds: int) -> float:
    """A bounded load loop: ``clients`` threads, one request at a time each."""
    import httpx

    done = [0] * clients
    stop = time.monotonic() + seconds

    def client(index: int) -> None:
        with httpx.Client(timeout=30) as session:
            while time.monotonic() < stop:
                session.get(url).raise_for_status()
                done[index] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(index,)) for index in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=100_000, help="corpus size (20/article)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians)")
    parser.add_argument("--seconds", type=int, default=5, help="length of each load")
    parser.add_argument("--clients", default="1,8", help="concurrent connections to try")
    parser.add_argument(
        "--requests",
        default=DEFAULT_REQUESTS,
        help="what to ask for: pages of /claims?limit=N, /articles/{id}/claims and"
        " /review-queue?limit=N; claims /claims/{id}",
    )
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("CLAIMS_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    parser.add_argument(
        "--scratch",
        type=Path,
        default=Path(os.environ.get("TMPDIR", "/tmp")) / "claims-read-bench",
        help="where corpora are kept between runs",
    )
    parser.add_argument("--serve-reference", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve_reference:
        # The reference server's own process, started by the benchmark below.
        server.serve(
            lambda: reference_app(options.serve_reference),
            host="127.0.0.1",
            port=options.port,
            workers=2,
            threads=4,
        )
        return
    options.scratch.mkdir(parents=True, exist_ok=True)
    clients = [int(value) for value in options.clients.split(",")]
    paths = options.requests.split(",")
    kinds = options.databases.split(",")
    urls = {
        kind: corpus_database(kind, options.claims, options.scratch, options.postgres_url)
        for kind in kinds
    }
    tool = "wrk" if shutil.which("wrk") else "a Python thread loop (wrk not found)"
    print(f"load: {tool}; {options.rounds} interleaved rounds of {options.seconds:g} s; medians")
    claims_api = str(Path(sys.executable).with_name("claims-api"))
    with serving_all(kinds, urls, claims_api) as bases:
        for kind in kinds:
            for path in paths:
                project = fetch(f"{bases[kind, 'project']}{path}")
                reference = fetch(f"{bases[kind, 'reference']}{path}")
                if project != reference:
                    where = first_difference(project, reference)
                    sys.exit(
                        f"{kind} {path}: the reference's body differs from the project's"
                        f" at byte {where}:\n project   {project[where - 80 : where + 80]!r}\n"
                        f" reference {reference[where - 80 : where + 80]!r}"
                    )
            print(f"{kind}: project and reference bodies identical, byte for byte", flush=True)
        results: dict[tuple[str, str, int, str], list[float]] = {}
        cases = [(kind, path, count) for kind in kinds for path in paths for count in clients]
        for case in cases:  # warm both up (caches, connections, the planner)
            for target in ("project", "reference"):
                requests_per_second(page_url(bases, case, target), case[2], 1)
        for round_number in range(options.rounds):
            # Who goes first alternates, so neither always follows the other's load.
            targets = (
                ("project", "reference") if round_number % 2 == 0 else ("reference", "project")
            )
            for case in cases:
                for target in targets:
                    rate = requests_per_second(
                        page_url(bases, case, target), case[2], options.seconds
                    )
                    results.setdefault((*case, target), []).append(rate)
            print(f"round {round_number + 1} of {options.rounds} done", flush=True)
    print()
    print(f"{options.claims:,} claims: requests/s (median), ratio")
    print(f"{'database':10} {'GET':20} {'clients':>7} {'project':>9} {'reference':>9} ratio")
    for kind, path, count in cases:
        project = statistics.median(results[kind, path, count, "project"])
        reference = statistics.median(results[kind, path, count, "reference"])
        print(
            f"{kind:10} {path:20} {count:>7} {project:>9.0f} {reference:>9.0f}"
            f" {project / reference:.2f}"
        )


def first_difference(one: bytes, other: bytes) -> int:
    pairs = zip(one, other, strict=False)
    return next((index for index, (a, b) in enumerate(pairs) if a != b), len(one))


def page_url(bases: dict[tuple[str, str], str], case: tuple[str, str, int], target: str) -> str:
    kind, path, _ = case
    return f"{bases[kind, target]}{path}"


@contextmanager
def serving_all(
    kinds: list[str], urls: dict[str, str], claims_api: str
) -> Iterator[dict[tuple[str, str], str]]:
    """The project and the reference for each database, each on a port of its own."""
    bases: dict[tuple[str, str], str] = {}
    with ExitStack() as stack:
        for kind in kinds:
            port = free_port()
            project = [claims_api, "serve", "--port", str(port), "--workers", "2", "--threads", "4"]
            bases[kind, "project"] = stack.enter_context(serving(project, urls[kind], port))
            port = free_port()
            reference = [sys.executable, "-m", "benchmarks.read_api"]
            reference += ["--serve-reference", urls[kind], "--port", str(port)]
            bases[kind, "reference"] = stack.enter_context(serving(reference, urls[kind], port))
        yield bases


if __name__ == "__main__":
    main()

"""Checks of docker-compose.yml and the Dockerfile by reading them.

No Docker engine runs in CI, so these tests are what stands between a typo in
the deployment files and a stack that does not start.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from jsonschema.validators import validator_for

from claims_api.extraction import nlp

REPO_ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "Dockerfile"
COMPOSE_SCHEMA = REPO_ROOT / "tests" / "data" / "compose" / "compose-spec.json"

POSTGRES_DATA_DIR = "/var/lib/postgresql/data"


def load_compose() -> dict[str, Any]:
    compose = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(compose, dict), f"{COMPOSE_FILE.name} is not a YAML mapping"
    return compose


def service(name: str) -> dict[str, Any]:
    services = load_compose().get("services", {})
    assert name in services, f"docker-compose.yml defines no service {name!r}"
    return services[name]


def environment(definition: dict[str, Any]) -> dict[str, str]:
    """Compose accepts `environment` as a mapping or as a list of KEY=VALUE."""
    env = definition.get("environment", {})
    if isinstance(env, list):
        return dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continuations joined."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    instructions = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, arguments = line.strip().partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def validator_class(schema: dict[str, Any]) -> type:
    declared = schema.get("$schema")
    assert declared, f"{COMPOSE_SCHEMA} declares no $schema"
    # The Compose schema spells its draft "https://json-schema.org/...", which
    # jsonschema's registry (keyed by the meta-schemas' http:// ids) does not know.
    canonical = re.sub(r"^https://json-schema\.org/", "http://json-schema.org/", declared)
    cls = validator_for({"$schema": canonical}, default=None)
    assert cls is not None, f"jsonschema has no validator for $schema {declared!r}"
    return cls


def test_compose_file_matches_compose_specification() -> None:
    assert COMPOSE_SCHEMA.is_file(), (
        f"Compose Specification schema missing at {COMPOSE_SCHEMA}; "
        "it is vendored in tests/data/compose/"
    )
    schema = json.loads(COMPOSE_SCHEMA.read_text(encoding="utf-8"))
    cls = validator_class(schema)
    cls.check_schema(schema)
    errors = sorted(cls(schema).iter_errors(load_compose()), key=lambda e: list(e.path))
    messages = [f"{'/'.join(map(str, e.path)) or '<root>'}: {e.message}" for e in errors]
    assert not messages, "docker-compose.yml breaks the Compose Specification:\n" + "\n".join(
        messages
    )


def test_api_healthcheck_requests_health_endpoint() -> None:
    test = service("api").get("healthcheck", {}).get("test")
    assert test, "api service has no healthcheck test"
    command = test if isinstance(test, str) else " ".join(test)
    urls = re.findall(r"https?://[^\s'\"]+", command)
    assert urls, f"api healthcheck requests no URL: {command!r}"
    assert [urlsplit(url).path for url in urls] == ["/health"], (
        f"api healthcheck should request /health, requests {urls}"
    )


def test_api_database_url_uses_psycopg_driver_and_db_host() -> None:
    url = environment(service("api")).get("DATABASE_URL")
    assert url, "api service sets no DATABASE_URL"
    parts = urlsplit(url)
    assert parts.scheme == "postgresql+psycopg", (
        f"DATABASE_URL should use the postgresql+psycopg driver, uses {parts.scheme!r}"
    )
    assert parts.hostname == "db", (
        f"DATABASE_URL should point at host 'db', points at {parts.hostname!r}"
    )


def test_worker_runs_claims_api_worker_on_the_api_database() -> None:
    worker = service("worker")
    command = worker.get("command")
    words = shlex.split(command) if isinstance(command, str) else command
    assert words == ["claims-api", "worker"], f"worker should run `claims-api worker`: {command}"
    assert environment(worker).get("DATABASE_URL") == environment(service("api")).get(
        "DATABASE_URL"
    ), "the worker must use the api's database"
    assert worker.get("depends_on", {}).get("db", {}).get("condition") == "service_healthy"


def test_api_and_worker_share_the_import_spool() -> None:
    """The api spools uploads that the worker reads: same folder, same named volume."""
    spools = {}
    for name in ("api", "worker"):
        folder = environment(service(name)).get("CLAIMS_IMPORT_SPOOL_DIR")
        assert folder, f"{name} sets no CLAIMS_IMPORT_SPOOL_DIR"
        mounts = [
            volume.split(":")[0]
            for volume in service(name).get("volumes", [])
            if isinstance(volume, str) and volume.split(":")[1] == folder
        ]
        assert mounts, f"{name} mounts no volume at {folder}"
        spools[name] = (folder, mounts[0])
    assert spools["api"] == spools["worker"], f"api and worker spool apart: {spools}"
    assert spools["api"][1] in (load_compose().get("volumes") or {}), "the spool is no named volume"


def test_api_waits_for_healthy_db() -> None:
    depends_on = service("api").get("depends_on")
    assert isinstance(depends_on, dict), (
        "api depends_on must be the long form so it can wait for db's health check"
    )
    condition = depends_on.get("db", {}).get("condition")
    assert condition == "service_healthy", (
        f"api should wait for db with condition service_healthy, has {condition!r}"
    )


def test_db_data_lives_in_declared_named_volume() -> None:
    declared = load_compose().get("volumes") or {}
    sources = []
    for volume in service("db").get("volumes", []):
        if isinstance(volume, str):
            source, _, rest = volume.partition(":")
            target = rest.split(":", 1)[0]
        else:
            source, target = volume.get("source"), volume.get("target")
        if target == POSTGRES_DATA_DIR:
            sources.append(source)
    assert sources, (
        f"db service mounts nothing at {POSTGRES_DATA_DIR}: the data would die with the container"
    )
    assert all(source in declared for source in sources), (
        f"db mounts {sources} at {POSTGRES_DATA_DIR}; declared named volumes are {sorted(declared)}"
    )


def test_dockerfile_cmd_migrates_before_serving() -> None:
    commands = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "CMD"]
    assert len(commands) == 1, f"Dockerfile should have one CMD, has {len(commands)}"
    command = json.loads(commands[0])
    assert command[:2] == ["sh", "-c"] and len(command) == 3, (
        f"CMD should be the exec form ['sh', '-c', script], is {command}"
    )
    # Steps joined by && so that a failed migration never reaches serve.
    steps = [step.strip() for step in command[2].split("&&")]
    positions = {}
    for wanted in ("claims-api db upgrade", "claims-api serve"):
        found = [i for i, step in enumerate(steps) if wanted in step]
        assert found, f"CMD does not run {wanted!r} as an &&-joined step: {command[2]!r}"
        positions[wanted] = found[0]
    assert positions["claims-api db upgrade"] < positions["claims-api serve"], (
        f"CMD must finish 'claims-api db upgrade' before 'claims-api serve': {command[2]!r}"
    )


def test_dockerfile_copies_only_existing_paths() -> None:
    missing = []
    for keyword, arguments in dockerfile_instructions():
        if keyword not in {"COPY", "ADD"}:
            continue
        words = json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)
        if any(word.startswith("--from=") for word in words):
            continue  # copies from another build stage, not from the context
        sources = [word for word in words if not word.startswith("--")][:-1]
        missing += [source for source in sources if not (REPO_ROOT / source).exists()]
    assert not missing, f"Dockerfile COPYs paths absent from the repository: {missing}"


def test_the_nlp_pipeline_is_installed_with_the_package_never_fetched_at_run_time() -> None:
    dependencies = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"][
        "dependencies"
    ]
    assert nlp.DEFAULT_DISTRIBUTION in dependencies, (
        f"pyproject.toml should pin {nlp.DEFAULT_DISTRIBUTION} (the pipeline the code checks)"
    )
    installs = [
        arguments
        for keyword, arguments in dockerfile_instructions()
        if keyword == "RUN" and "pip install" in arguments
    ]
    assert any(re.search(r"pip install\b.*(?:-e )?\.(?:\s|$)", run) for run in installs), (
        f"the Dockerfile should pip install the package (and so its pipeline): {installs}"
    )
    deployment = DOCKERFILE.read_text() + COMPOSE_FILE.read_text()
    # A pipeline fetched when the container starts: the image holds the pinned one.
    for fetch in ("spacy download", "spacy-models"):
        assert fetch not in deployment, f"{fetch!r} in the deployment files"

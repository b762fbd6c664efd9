"""The spaCy pipeline loader: the pinned default passes its checks; anything else is refused."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from flask import Flask
from spacy.language import Language

from claims_api.extraction import nlp


@pytest.fixture
def installed_default() -> Path:
    """The installed default package's directory (the one the loader checks)."""
    return nlp._package_dir(nlp.DEFAULT_PACKAGE)


@pytest.fixture
def copied_default(
    tmp_path: Path, installed_default: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A copy of the default package, found before the installed one: tamper with it freely."""
    copy = tmp_path / "site" / nlp.DEFAULT_PACKAGE
    shutil.copytree(installed_default, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.delitem(sys.modules, nlp.DEFAULT_PACKAGE, raising=False)
    assert nlp._package_dir(nlp.DEFAULT_PACKAGE) == copy
    return copy / nlp.DEFAULT_DATA_DIR


def test_the_default_pipeline_passes_its_checks_and_has_what_extraction_reads() -> None:
    loaded = nlp.load_pipeline(None)
    assert loaded.lang == "en"
    assert loaded.meta["name"] == nlp.DEFAULT_META["name"]
    assert loaded.meta["version"] == nlp.DEFAULT_META["version"]
    for component in nlp.REQUIRED_COMPONENTS:
        assert component in loaded.pipe_names, f"{component} missing from {loaded.pipe_names}"
    assert "senter" not in loaded.pipe_names
    doc = loaded("NATO Secretary-General Mark Rutte said Finland joined the alliance in 2023.")
    assert any(token.dep_ == "ROOT" and token.lemma_ == "say" for token in doc)
    assert {"ORG", "PERSON", "GPE", "DATE"} <= {entity.label_ for entity in doc.ents}


def test_the_default_digest_is_the_sha256sum_manifest_of_its_directory(
    installed_default: Path,
) -> None:
    data_dir = installed_default / nlp.DEFAULT_DATA_DIR
    assert nlp.directory_digest(data_dir) == nlp.DEFAULT_DIGEST


def test_pipeline_loads_once_per_process_and_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(nlp.SETTING, raising=False)
    first = nlp.pipeline()
    assert nlp.pipeline() is first


def test_a_tampered_weights_file_fails_the_digest_check(copied_default: Path) -> None:
    weights = copied_default / "ner" / "model"
    content = bytearray(weights.read_bytes())
    content[len(content) // 2] ^= 0xFF
    weights.write_bytes(bytes(content))
    with pytest.raises(nlp.NlpUnavailable, match="SHA-256 check") as raised:
        nlp.load_pipeline(None)
    assert raised.value.check == "digest"
    assert nlp.SETTING in str(raised.value)


def test_an_added_file_fails_the_digest_check(copied_default: Path) -> None:
    (copied_default / "ner" / "extra").write_bytes(b"")
    with pytest.raises(nlp.NlpUnavailable) as raised:
        nlp.load_pipeline(None)
    assert raised.value.check == "digest"


@pytest.mark.parametrize(
    ("key", "value"),
    [("name", "core_web_sm"), ("version", "3.8.1"), ("license", "GPL"), ("spacy_version", "")],
)
def test_a_tampered_meta_fails_the_meta_check_naming_the_field(
    copied_default: Path, key: str, value: str
) -> None:
    meta_file = copied_default / "meta.json"
    meta = json.loads(meta_file.read_text())
    meta[key] = value
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(nlp.NlpUnavailable, match=f"meta check: {key}") as raised:
        nlp.load_pipeline(None)
    assert raised.value.check == "meta"


def test_a_changed_expected_digest_refuses_the_installed_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(nlp, "DEFAULT_DIGEST", "0" * 64)
    with pytest.raises(nlp.NlpUnavailable) as raised:
        nlp.load_pipeline(None)
    assert raised.value.check == "digest"


def test_an_unknown_model_setting_is_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(nlp.SETTING, "no_such_pipeline_package")
    with pytest.raises(nlp.NlpUnavailable, match=nlp.SETTING) as raised:
        nlp.pipeline()
    assert raised.value.check == "installed"
    assert "no_such_pipeline_package" in str(raised.value)
    # Remembered: asking again answers the same without looking again.
    with pytest.raises(nlp.NlpUnavailable, match="no_such_pipeline_package"):
        nlp.pipeline()


def test_the_model_setting_is_read_from_the_app_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(nlp.SETTING, "from_the_environment")
    app = Flask(__name__)
    app.config["NLP_MODEL"] = "from_the_config"
    with app.app_context():
        assert nlp.configured_model() == "from_the_config"
    assert nlp.configured_model() == "from_the_environment"
    app.config["NLP_MODEL"] = None
    with app.app_context():
        assert nlp.configured_model() is None


def other_package(
    tmp_path: Path, installed_default: Path, monkeypatch: pytest.MonkeyPatch, **meta_changes: object
) -> str:
    """An installed pipeline package other than the default (a copy of it, renamed)."""
    name = "en_other_pipeline"
    copy = tmp_path / "site" / name
    shutil.copytree(installed_default, copy, ignore=shutil.ignore_patterns("__pycache__"))
    meta_file = copy / "meta.json"
    meta = {**json.loads(meta_file.read_text()), **meta_changes}
    meta_file.write_text(json.dumps(meta))
    # spaCy loads a pipeline by name only from an installed distribution.
    dist_info = tmp_path / "site" / f"{name}-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    # Imported by an earlier test from its own copy: find this one's afresh.
    monkeypatch.delitem(sys.modules, name, raising=False)
    return name


def test_another_english_pipeline_loads_without_the_digest_check(
    tmp_path: Path, installed_default: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = other_package(tmp_path, installed_default, monkeypatch)
    (tmp_path / "site" / name / nlp.DEFAULT_DATA_DIR / "extra").write_bytes(b"not hashed")
    loaded = nlp.load_pipeline(name)
    assert set(nlp.REQUIRED_COMPONENTS) <= set(loaded.pipe_names)


def test_another_pipeline_in_another_language_is_refused(
    tmp_path: Path, installed_default: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = other_package(tmp_path, installed_default, monkeypatch, lang="de")
    with pytest.raises(nlp.NlpUnavailable, match="English") as raised:
        nlp.load_pipeline(name)
    assert raised.value.check == "meta"
    assert nlp.SETTING in str(raised.value)


def test_another_pipeline_without_a_parser_is_refused(
    tmp_path: Path, installed_default: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = other_package(
        tmp_path, installed_default, monkeypatch, pipeline=["tok2vec", "tagger", "ner"]
    )
    with pytest.raises(nlp.NlpUnavailable, match="without parser, lemmatizer") as raised:
        nlp.load_pipeline(name)
    assert raised.value.check == "meta"


def test_the_app_starts_without_loading_the_pipeline() -> None:
    code = (
        "from claims_api import create_app\n"
        "from claims_api.extraction import nlp\n"
        "create_app({'TESTING': True, 'DATABASE_URL': 'sqlite://'})\n"
        "assert not nlp._loaded, nlp._loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_a_server_worker_warms_the_pipeline_in_the_background() -> None:
    from claims_api.services.extraction import warm_pipeline

    app = Flask(__name__)
    app.config["NLP_MODEL"] = None
    warm_pipeline(app).join(timeout=60)
    assert isinstance(nlp._loaded.get(None), Language)


def test_a_worker_that_cannot_load_a_pipeline_logs_why_and_serves_on(
    no_nlp_pipeline: str, caplog: pytest.LogCaptureFixture
) -> None:
    from claims_api.services.extraction import warm_pipeline

    app = Flask(__name__)
    app.config["NLP_MODEL"] = None
    with caplog.at_level(logging.WARNING, logger="claims_api.services.extraction"):
        warm_pipeline(app).join(timeout=60)
    assert [record.getMessage() for record in caplog.records] == [
        f"claim extraction is unavailable: {no_nlp_pipeline}"
    ]


def test_threads_asking_at_once_share_one_load(monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[str | None] = []
    started = threading.Barrier(8)
    pipeline = object()

    def slow_load(model: str | None) -> object:
        loads.append(model)
        # Long enough for every other thread to reach the lock while this one loads.
        time.sleep(0.5)
        return pipeline

    monkeypatch.setattr(nlp, "_loaded", {})
    monkeypatch.setattr(nlp, "load_pipeline", slow_load)
    monkeypatch.delenv(nlp.SETTING, raising=False)
    got: list[object] = []

    def ask() -> None:
        started.wait(timeout=30)
        got.append(nlp.pipeline())

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert loads == [None], f"{len(loads)} loads for 8 threads"
    assert got == [pipeline] * 8

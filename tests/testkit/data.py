"""Where the tests' ground truth lives: captures of a real Asterisk 22.10.1, kept in the repo as test data.

``tests/data/ari`` holds the traces (``traces/*.json``), the sound durations (``sounds-en.tsv``), the tone
zones (``indications.tsv``) and the notes that state the facts (``README.md``, ``MORE.md``, ``AUDIO.md``,
``ASTERISK22.md``), so a fresh clone runs its tests with nothing beside it.

Asterisk's own ARI declarations (``api-docs``) are Asterisk's files and are not copied: the tests that compare
with them look beside the repository (``../shared/ari/api-docs``) and skip when they are absent.

``ARINB_SHARED_ARI=/path/to/ari`` points every path here at another copy of the ground truth (the
conformance harness uses it to run against a fresh capture).

>>> sorted(p.name for p in ARI.glob("*.tsv"))
['indications.tsv', 'sounds-en.tsv']
>>> (TRACES / "tones.json").is_file()
True
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

__all__ = [
    "API_DOCS",
    "ARI",
    "NO_API_DOCS",
    "NO_API_DOCS_REASON",
    "REPO",
    "TRACES",
    "require_api_docs",
    "trace_path",
]

#: The repository's root.
REPO = Path(__file__).resolve().parents[2]

#: The ground truth: the in-repo copy unless ARINB_SHARED_ARI names another.
ARI = Path(os.environ.get("ARINB_SHARED_ARI") or REPO / "tests" / "data" / "ari")

#: The captures, one JSON file per scenario.
TRACES = ARI / "traces"

#: Asterisk 22.10.1's own api-docs: never in the repo; beside it (or in ARINB_SHARED_ARI) when available.
API_DOCS = (ARI if os.environ.get("ARINB_SHARED_ARI") else REPO.parent / "shared" / "ari") / "api-docs"

#: For ``pytest.mark.skipif``: the only tests allowed to skip for want of data are those that read API_DOCS.
NO_API_DOCS = not API_DOCS.is_dir()
NO_API_DOCS_REASON = f"Asterisk's own api-docs are not beside the repository ({API_DOCS})"


def trace_path(name: str) -> Path:
    """The capture ``traces/<name>.json``; fails (never skips) when the repo's test data lost it."""
    path = TRACES / f"{name}.json"
    assert path.is_file(), f"trace missing from the test data: {path}"
    return path


def require_api_docs() -> Path:
    """API_DOCS, or skip the calling test saying where Asterisk's api-docs were looked for."""
    if NO_API_DOCS:
        pytest.skip(NO_API_DOCS_REASON)
    return API_DOCS

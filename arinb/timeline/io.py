"""Saving and reading timelines: ``.csv``, ``.jsonl`` and ``.parquet`` (the last needs pyarrow).

Every format round-trips exactly: ``Timeline.read(path).df`` equals the saved ``df`` column by column,
dtypes included, raw JSON frames verbatim. How each format keeps that promise:

* parquet stores the dtypes itself;
* CSV writes missing values as ``\\N`` (so an empty string stays an empty string) and escapes a text that
  starts with a backslash by doubling that backslash (so the text ``\\N`` is written ``\\\\N``, never read as
  missing); lines end in CRLF so that a lone CR inside a value is quoted; datetimes in ISO 8601 with
  nanoseconds, floats with Python's shortest exact repr;
* JSON Lines writes one object per row, ``null`` for missing, ISO 8601 datetimes with nanoseconds.
The text formats carry no dtypes: reading applies the timeline's schema (:func:`coerce_frame`).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Final

import pandas as pd

from arinb.errors import AriUsageError
from arinb.timeline.frame import COLUMNS, coerce_frame

__all__ = ["FORMATS", "read_frame", "write_frame"]

FORMATS: Final = (".csv", ".jsonl", ".parquet")
_CSV_NA: Final = "\\N"
_ESCAPE: Final = "\\"


def _escape_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """Double the leading backslash of every text starting with one, so no text can read back as ``\\N``."""
    out = {}
    for name in frame.columns:
        col = frame[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            cats = col.cat.categories
            if cats.dtype == object and any(isinstance(c, str) and c.startswith(_ESCAPE) for c in cats):
                col = col.cat.rename_categories([_ESCAPE + c if c.startswith(_ESCAPE) else c for c in cats])
        elif col.dtype == object or isinstance(col.dtype, pd.StringDtype):
            starts = col.str.startswith(_ESCAPE).fillna(False).astype(bool)
            if starts.any():
                col = col.where(~starts, _ESCAPE + col)
        out[name] = col
    return pd.DataFrame(out)


def _unescape_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`_escape_csv` on a frame read as text (``\\N`` itself was already read as missing)."""
    for name in frame.columns:
        col = frame[name]
        starts = col.str.startswith(_ESCAPE).fillna(False).astype(bool)
        if starts.any():
            frame[name] = col.where(~starts, col.str[1:])
    return frame


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise AriUsageError(f"{path}: unknown timeline format {suffix!r}; use one of {', '.join(FORMATS)}")
    return suffix


def _need_pyarrow() -> None:
    if importlib.util.find_spec("pyarrow") is None:
        raise AriUsageError("parquet needs pyarrow: pip install 'arinb[parquet]' (or save as .csv / .jsonl)")


def _blank(path: Path) -> bool:
    with path.open("rb") as file:
        return not file.read(64).strip()


def write_frame(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a timeline frame to ``path``; the suffix picks the format."""
    path = Path(path)
    fmt = _format(path)
    if fmt == ".parquet":
        _need_pyarrow()
        frame.to_parquet(path, index=False)
    elif fmt == ".csv":
        _escape_csv(frame).to_csv(path, index=False, na_rep=_CSV_NA, lineterminator="\r\n")
    else:
        frame.to_json(
            path, orient="records", lines=True, date_format="iso", date_unit="ns", double_precision=15
        )
    return path


def read_frame(path: str | Path) -> pd.DataFrame:
    """Read a file written by :func:`write_frame` back to a frame with the timeline's dtypes."""
    path = Path(path)
    fmt = _format(path)
    if not path.exists():
        raise AriUsageError(f"{path}: no such timeline file")
    try:
        if fmt == ".parquet":
            _need_pyarrow()
            frame = pd.read_parquet(path)
        elif fmt == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[_CSV_NA], encoding="utf-8")
            frame = _unescape_csv(frame)
        else:
            if _blank(path):  # an empty timeline writes an empty file
                frame = pd.DataFrame({name: [] for name in COLUMNS})
            else:
                frame = pd.read_json(path, orient="records", lines=True, dtype=False, precise_float=True)
        return coerce_frame(frame)
    except KeyError as exc:
        raise AriUsageError(f"{path}: not a timeline file (missing columns: {exc.args[0]})") from exc
    except (ValueError, TypeError) as exc:
        raise AriUsageError(f"{path}: cannot read as a timeline ({exc})") from exc

"""Generate ``arinb/audio/data/tonezones.json`` from the shared ground truth ``indications.tsv``.

The tone zones are Asterisk 22.10.1's sample ``indications.conf`` (default country ``us``), dumped as
``zone<TAB>key<TAB>value`` rows. The JSON keeps the file order and splits zone attributes (``description``,
``ringcadence``) from the tones, so :func:`arinb.audio.tones.tone_spec` works without the shared folder.

Run from the repository root::

    python -m arinb.audio._make_tonezones tests/data/ari/indications.tsv
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

DEFAULT_SOURCE = Path(__file__).resolve().parents[2] / "tests" / "data" / "ari" / "indications.tsv"
TARGET = Path(__file__).with_name("data") / "tonezones.json"
# The sample indications.conf says ``country=us`` in [general]; the TSV's header comment repeats it.
DEFAULT_COUNTRY = "us"
_ZONE_ATTRIBUTES = ("description", "ringcadence")


def build(tsv_text: str) -> dict[str, Any]:
    """Turn the TSV text into the JSON document (zones in file order, tones in file order)."""
    zones: dict[str, dict[str, Any]] = {}
    for line in tsv_text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        zone, key, value = line.split("\t", 2)
        if (zone, key, value) == ("zone", "key", "value"):
            continue
        entry = zones.setdefault(zone, {"description": "", "ringcadence": [], "tones": {}})
        if key == "description":
            entry["description"] = value
        elif key == "ringcadence":
            entry["ringcadence"] = [int(ms) for ms in value.split(",") if ms.strip()]
        else:
            entry["tones"][key] = value
    if DEFAULT_COUNTRY not in zones:
        raise ValueError(f"default country {DEFAULT_COUNTRY!r} missing from the indications table")
    return {
        "source": "Asterisk 22.10.1 sample indications.conf (via shared/ari/indications.tsv)",
        "default": DEFAULT_COUNTRY,
        "zones": zones,
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    source = Path(args[0]) if args else DEFAULT_SOURCE
    document = build(source.read_text(encoding="utf-8"))
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {TARGET} ({len(document['zones'])} zones)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

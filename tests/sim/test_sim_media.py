"""Media URIs, say composition and durations (README: number/digits/characters; AUDIO.md: content)."""

from __future__ import annotations

import pytest

from arinb.sim.catalog import SoundLibrary
from arinb.sim.media import (
    FILE_TAIL,
    PLAYBACK_OVERHEAD,
    files_duration,
    parse_media,
    resolve_media,
    say_characters,
    say_digits,
    say_number,
    split_media,
)

CATALOG = SoundLibrary(use_system=False)


@pytest.mark.parametrize(
    ("n", "files"),
    [
        (0, ["digits/0"]),
        (7, ["digits/7"]),
        (13, ["digits/13"]),
        (20, ["digits/20"]),
        (21, ["digits/20", "digits/1"]),
        (100, ["digits/1", "digits/hundred"]),
        (115, ["digits/1", "digits/hundred", "digits/15"]),
        (123, ["digits/1", "digits/hundred", "digits/20", "digits/3"]),
        (1000, ["digits/1", "digits/thousand"]),
        (2001, ["digits/2", "digits/thousand", "digits/1"]),
        (
            1_234_567,
            ["1", "million", "2", "hundred", "30", "4", "thousand", "5", "hundred", "60", "7"],
        ),
        (-5, ["digits/minus", "digits/5"]),
    ],
)
def test_say_number_english_rules(n: int, files: list[str]) -> None:
    assert say_number(n) == [f if "/" in f else f"digits/{f}" for f in files]


def test_say_number_too_big() -> None:
    with pytest.raises(ValueError):
        say_number(1_000_000_000)


def test_say_digits_and_characters() -> None:
    assert say_digits("5551212") == [f"digits/{d}" for d in "5551212"]
    assert say_digits("1*#-x") == ["digits/1", "digits/star", "digits/pound", "digits/minus"]
    assert say_characters("abc") == ["letters/a", "letters/b", "letters/c"]
    assert say_characters("Z9 @.") == ["letters/z", "digits/9", "letters/space", "letters/at", "letters/dot"]
    assert say_characters("%") == ["letters/ascii37"]


@pytest.mark.parametrize(
    ("media", "files_seconds", "observed", "sent"),
    [
        # README: seconds of files and observed playback; AUDIO.md: seconds the caller received
        ("number:123", 3.528, 3.56, 3.516875),
        ("digits:5551212", 5.777, 5.80, 5.758125),
        ("characters:abc", 2.221, 2.23, 2.212875),
    ],
)
def test_say_durations_match_the_real_server(
    media: str, files_seconds: float, observed: float, sent: float
) -> None:
    res = resolve_media(parse_media(media), CATALOG)
    assert res.kind == "files"
    assert sum(p.duration for p in res.parts) == pytest.approx(files_seconds, abs=1e-3)
    total = res.content + PLAYBACK_OVERHEAD
    assert abs(total - observed) <= max(0.05, 0.05 * observed)
    assert res.content == pytest.approx(sent, abs=5e-4)


def test_files_duration_helper() -> None:
    assert files_duration(["tt-monkeys"], CATALOG) == pytest.approx(16.18 - FILE_TAIL + PLAYBACK_OVERHEAD)
    with pytest.raises(KeyError):
        files_duration(["missing-sound"], CATALOG)


def test_media_lists_split_on_every_comma() -> None:
    assert split_media("sound:tt-monkeys,sound:beep") == ["sound:tt-monkeys", "sound:beep"]
    assert split_media("tone:440+480/2000,0/4000") == ["tone:440+480/2000", "0/4000"]
    assert split_media("sound:beep") == ["sound:beep"]


def test_parse_media() -> None:
    tone = parse_media("tone:ring;tonezone=fr")
    assert (tone.scheme, tone.target, tone.params) == ("tone", "ring", {"tonezone": "fr"})
    assert parse_media("tt-monkeys").scheme == ""
    assert parse_media("sound:").target == ""
    assert parse_media("recording:rec1").target == "rec1"


@pytest.mark.parametrize(
    ("media", "kind"),
    [
        ("sound:beep", "files"),
        ("sound:does-not-exist", "missing"),
        ("sound:", "missing"),
        ("recording:does-not-exist", "unsupported"),
        ("foo:bar", "unsupported"),
        ("tt-monkeys", "unsupported"),
        ("0/4000", "unsupported"),
        ("tone:busy", "tone"),
        ("tone:ring;tonezone=xx", "tone"),
        ("tone:440+480/2000", "tone"),
        ("tone:not a tone", "missing"),
        ("number:abc", "missing"),
    ],
)
def test_resolve_kinds(media: str, kind: str) -> None:
    assert resolve_media(parse_media(media), CATALOG).kind == kind


def test_tones_resolve_to_zone_specs() -> None:
    assert resolve_media(parse_media("tone:ring;tonezone=fr"), CATALOG).tone == "440/1500,0/3500"
    assert resolve_media(parse_media("tone:busy"), CATALOG).tone == "480+620/500,0/500"
    assert resolve_media(parse_media("tone:ring;tonezone=xx"), CATALOG).tone == "440+480/2000,0/4000"


def test_recordings_resolve_through_the_callback() -> None:
    res = resolve_media(parse_media("recording:rec1"), CATALOG, recording=lambda n: (2.8, None))
    assert res.kind == "files" and res.parts[0].duration == 2.8

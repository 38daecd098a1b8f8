"""URL normalisation, query encoding and media joining (no sockets)."""

from __future__ import annotations

import pytest

from arinb.client.params import join_media
from arinb.client.params import seg as _seg
from arinb.client.transport import encode_params, parse_base_url
from arinb.errors import AriUsageError


@pytest.mark.parametrize(
    ("given", "rest", "ws"),
    [
        ("http://127.0.0.1:8088", "http://127.0.0.1:8088/ari", "ws://127.0.0.1:8088/ari/events"),
        ("http://127.0.0.1:8088/ari", "http://127.0.0.1:8088/ari", "ws://127.0.0.1:8088/ari/events"),
        ("http://127.0.0.1:8088/ari/", "http://127.0.0.1:8088/ari", "ws://127.0.0.1:8088/ari/events"),
        ("https://pbx.example.com", "https://pbx.example.com/ari", "wss://pbx.example.com/ari/events"),
        ("https://h/proxy/ari", "https://h/proxy/ari", "wss://h/proxy/ari/events"),
        ("127.0.0.1:8088", "http://127.0.0.1:8088/ari", "ws://127.0.0.1:8088/ari/events"),
        ("ws://u:p@h:1/ari/events", "http://h:1/ari", "ws://h:1/ari/events"),
    ],
)
def test_base_urls(given: str, rest: str, ws: str) -> None:
    urls = parse_base_url(given)
    assert (urls.rest, urls.ws) == (rest, ws)
    assert "p@" not in urls.root


def test_credentials_in_the_url_are_extracted() -> None:
    urls = parse_base_url("http://alice:s3cret@127.0.0.1:8088")
    assert (urls.username, urls.password, urls.root) == ("alice", "s3cret", "http://127.0.0.1:8088")


@pytest.mark.parametrize("bad", ["", "   ", "ftp://h", "http://"])
def test_bad_urls_are_usage_errors(bad: str) -> None:
    with pytest.raises(AriUsageError):
        parse_base_url(bad)


def test_params_are_encoded_as_ari_expects() -> None:
    assert encode_params({"a": True, "b": False, "c": ["x", "y"], "d": None, "e": 5, "f": ("x",)}) == {
        "a": "true",
        "b": "false",
        "c": "x,y",
        "e": "5",
        "f": "x",
    }
    assert encode_params(None) == {}


def test_media_is_one_comma_joined_value_and_items_with_commas_are_refused() -> None:
    assert join_media("tone:440/200,0/300") == "tone:440/200,0/300"  # a single item may hold commas
    assert join_media(("sound:a", "sound:b")) == "sound:a,sound:b"
    for bad in ([], [""], ["sound:a", 3], ["sound:a", "tone:1,2"]):
        with pytest.raises(AriUsageError):
            join_media(bad)  # type: ignore[arg-type]


def test_path_segments_are_percent_encoded() -> None:
    assert _seg("1795694992.1") == "1795694992.1"
    assert _seg("a/b c;d") == "a%2Fb%20c%3Bd"
    assert _seg("Stasis:x@y") == "Stasis:x@y"
    with pytest.raises(AriUsageError):
        _seg("")

from __future__ import annotations

import pickle

from arinb.credentials import Credentials, strip_url_credentials


def test_repr_and_str_hide_password() -> None:
    c = Credentials("asterisk", "hunter2-secret")
    assert "hunter2" not in repr(c) and "hunter2" not in str(c)
    assert c.password == "hunter2-secret"


def test_redact_covers_plain_urlencoded_and_basic_token() -> None:
    c = Credentials("u", "p@ss word")
    text = f"{c.password} p%40ss%20word p%40ss+word {c.basic_auth_header()}"
    assert "p@ss" not in c.redact(text)
    assert "p%40ss" not in c.redact(text)
    assert c.basic_auth_header().split()[1] not in c.redact(text)


def test_strip_url_credentials() -> None:
    assert (
        strip_url_credentials("ws://u:pw@h:1/ari/events?app=a&api_key=u:pw")
        == "ws://h:1/ari/events?app=a&api_key=***"
    )


def test_pickle_round_trip_keeps_secret() -> None:
    c = Credentials("a", "b")
    assert pickle.loads(pickle.dumps(c)) == c

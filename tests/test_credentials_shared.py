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


def test_url_credentials_are_percent_decoded() -> None:
    from arinb.credentials import url_credentials

    assert url_credentials("http://asterisk:p%40ss@host:8088") == ("asterisk", "p@ss")
    assert url_credentials("http://a%3Ab:p%3A%2F%25+x@host") == ("a:b", "p:/%+x")  # '+' stays '+'
    assert url_credentials("http://host:8088") == (None, None)
    assert url_credentials("http://only-user@host") == ("only-user", None)


def test_strip_url_credentials_drops_encoded_userinfo() -> None:
    assert strip_url_credentials("http://asterisk:p%40ss@h:8088/ari") == "http://h:8088/ari"

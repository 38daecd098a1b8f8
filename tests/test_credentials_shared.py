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


def test_redact_masks_every_occurrence_of_every_form() -> None:
    c = Credentials("u", "p@ss word")
    token = c.basic_auth_header().split()[1]
    forms = ["p@ss word", "p%40ss%20word", "p%40ss+word", token]
    # Each form three times, interleaved: a redaction that stops at the first occurrence leaves two.
    text = " | ".join(f"{i}:{form}" for i in range(3) for form in forms)
    out = c.redact(text)
    assert out == " | ".join(f"{i}:***" for i in range(3) for _ in forms)


def test_redact_leaves_text_without_the_secret_alone() -> None:
    c = Credentials("asterisk", "s3cret")
    assert c.redact("GET /ari/channels 200 asterisk") == "GET /ari/channels 200 asterisk"
    # An empty password would match between every character: nothing to hide, the text stays as it is.
    assert Credentials("asterisk", "").redact("abc") == "abc"


def test_auth_forms_are_what_asterisk_expects() -> None:
    c = Credentials("asterisk", "s3cret")
    assert c.basic_auth_header() == "Basic YXN0ZXJpc2s6czNjcmV0"  # base64("asterisk:s3cret")
    assert c.api_key() == "asterisk:s3cret"


def test_matches_needs_both_the_user_and_the_password() -> None:
    c = Credentials("asterisk", "s3cret")
    assert c.matches("asterisk", "s3cret")
    assert not c.matches("asterisk", "wrong")
    assert not c.matches("other", "s3cret")


def test_equality_and_hash_follow_user_and_password() -> None:
    c = Credentials("asterisk", "s3cret")
    assert c == Credentials("asterisk", "s3cret") and hash(c) == hash(Credentials("asterisk", "s3cret"))
    assert c != Credentials("asterisk", "other")
    assert c != Credentials("other", "s3cret")
    assert c != ("asterisk", "s3cret")  # not a Credentials at all
    assert len({c, Credentials("asterisk", "s3cret"), Credentials("asterisk", "x")}) == 2


def test_pickle_keeps_user_and_password() -> None:
    c = pickle.loads(pickle.dumps(Credentials("asterisk", "s3cret")))
    assert (c.username, c.password) == ("asterisk", "s3cret")


def test_strip_url_credentials_keeps_everything_but_the_secret() -> None:
    assert strip_url_credentials("http://u:p@127.0.0.1:8088/ari?api_key=u:p&app=x#f") == (
        "http://127.0.0.1:8088/ari?api_key=***&app=x#f"
    )
    # api_key first, last or alone; a name that only ends in api_key is not the api_key.
    assert (
        strip_url_credentials("ws://h/ari/events?app=a&api_key=u:p") == "ws://h/ari/events?app=a&api_key=***"
    )
    assert strip_url_credentials("ws://h/e?api_key=u:p") == "ws://h/e?api_key=***"
    assert strip_url_credentials("ws://h/e?my_api_key=v&app=a") == "ws://h/e?my_api_key=v&app=a"
    # An '@' in the password: everything up to the last '@' of the host part goes.
    assert strip_url_credentials("http://u:p@ss@h:1/x") == "http://h:1/x"
    # Nothing to strip: the URL comes back unchanged.
    assert strip_url_credentials("http://h:1/ari/channels?app=a") == "http://h:1/ari/channels?app=a"


def test_strip_url_credentials_of_a_url_urlsplit_refuses() -> None:
    # An invalid IPv6 host makes urlsplit raise: the user info is still cut out by pattern.
    assert strip_url_credentials("http://u:p@[::1/x") == "http://[::1/x"
    assert strip_url_credentials("http://u:p@[x/y then //v:q@z") == "http://[x/y then //z"


def test_redact_masks_the_password_percent_encoded_with_its_slashes() -> None:
    # quote() keeps '/' by default; a URL path or query carries it as %2F.
    c = Credentials("u", "a/b c")
    assert c.redact("api_key=u:a%2Fb%20c") == "api_key=u:***"
    assert c.redact("api_key=u%3Aa%2Fb+c") == "api_key=u%3A***"


def test_different_credentials_hash_apart() -> None:
    # Equal ones hash equal (above); different ones spread, so a dict of sessions by credentials stays fast.
    assert len({hash(Credentials("asterisk", f"pw{i}")) for i in range(50)}) > 40


def test_url_credentials_are_percent_decoded() -> None:
    from arinb.credentials import url_credentials

    assert url_credentials("http://asterisk:p%40ss@host:8088") == ("asterisk", "p@ss")
    assert url_credentials("http://a%3Ab:p%3A%2F%25+x@host") == ("a:b", "p:/%+x")  # '+' stays '+'
    assert url_credentials("http://host:8088") == (None, None)
    assert url_credentials("http://only-user@host") == ("only-user", None)


def test_strip_url_credentials_drops_encoded_userinfo() -> None:
    assert strip_url_credentials("http://asterisk:p%40ss@h:8088/ari") == "http://h:8088/ari"

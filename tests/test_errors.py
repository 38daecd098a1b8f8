from __future__ import annotations

import pickle

import pytest

from arinb.errors import (
    AriAuthError,
    AriConflict,
    AriHttpError,
    AriNotFound,
    AriServerError,
    http_error,
)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (401, AriAuthError),
        (404, AriNotFound),
        (409, AriConflict),
        (500, AriServerError),
        (503, AriServerError),
        (418, AriHttpError),
    ],
)
def test_status_maps_to_typed_error(status: int, cls: type) -> None:
    err = http_error(status, {"message": "x"}, method="GET", path="/ari/channels/1")
    assert type(err) is cls
    assert err.status == status


def test_message_method_and_path_are_carried() -> None:
    err = http_error(404, {"message": "Channel not found"}, method="POST", path="/ari/channels/x/answer")
    assert err.message == "Channel not found"
    assert str(err) == "404 Channel not found (POST /ari/channels/x/answer)"


def test_asterisk_error_key_and_reason_fallback() -> None:
    # Some 500s say {"error": ...} (MORE.md); a body-less error falls back to the reason phrase.
    assert http_error(500, {"error": "Allocation failed"}).message == "Allocation failed"
    assert http_error(400, None, reason="Invalid Reason").message == "Invalid Reason"


def test_http_errors_pickle() -> None:
    err = http_error(409, {"message": "Can only pause while media is playing"}, method="POST", path="/p")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is AriConflict and back.message == err.message and back.path == "/p"


# -- what a newcomer sees ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "message", "path", "says"),
    [
        (401, "Authentication required", "/ari/events", "user name and password given to arinb.connect()"),
        (404, "Channel not found", "/ari/channels/nope", "session.channels.list()"),
        (404, "Playback not found", "/ari/playbacks/x/control", "forgotten once it finished"),
        (404, "Bridge not found", "/ari/bridges/x", "session.bridges.list()"),
        (404, "Resource not found", "/ari/chanels", "relative to /ari"),
        (422, "Channel not in Stasis application", "/ari/channels/1/answer", "Stasis(<app>)"),
    ],
)
def test_an_error_shows_its_message_and_what_to_do(status: int, message: str, path: str, says: str) -> None:
    err = http_error(status, {"message": message}, method="POST", path=path)
    lines = err._render_traceback_()
    assert lines[0] == f"{type(err).__name__}: {status} {message} (POST {path})"
    assert len(lines) == 2
    assert says in lines[1]
    assert err.__notes__ == [lines[1]]  # a script's traceback prints it under the message
    assert (err.status, err.message, err.method, err.path) == (status, message, "POST", path)


def test_an_error_without_advice_is_one_line() -> None:
    err = http_error(409, {"message": "Playback not in a state to pause"}, method="POST", path="/ari/x")
    assert err._render_traceback_() == ["AriConflict: 409 Playback not in a state to pause (POST /ari/x)"]
    assert not hasattr(err, "__notes__")


def test_refused_connection_says_nothing_listens() -> None:
    from arinb.errors import AriConnectionError, AriWebSocketError

    refused = AriConnectionError("cannot reach ARI at http://127.0.0.1:9/ari (ConnectionRefusedError: x).")
    assert "Nothing listens there" in refused._render_traceback_()[1]
    # A refused WebSocket handshake is no closed port: no such advice.
    assert len(AriWebSocketError("the events WebSocket was refused: 400 x")._render_traceback_()) == 1


def test_full_tracebacks_can_be_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    import arinb.errors

    monkeypatch.setattr(arinb.errors, "FULL_TRACEBACKS", True)
    try:
        raise http_error(404, {"message": "Channel not found"}, method="GET", path="/ari/channels/x")
    except AriNotFound as err:
        text = "".join(err._render_traceback_())
    assert "Traceback" in text
    assert "test_full_tracebacks_can_be_asked_for" in text

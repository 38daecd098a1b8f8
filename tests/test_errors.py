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

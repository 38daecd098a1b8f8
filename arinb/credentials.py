"""Credentials that never print their password.

Both the client and the simulator hold ARI credentials; this is the one place that knows the secret.

>>> c = Credentials("asterisk", "s3cret")
>>> c
Credentials(username='asterisk', password='***')
>>> c.redact("ws://asterisk:s3cret@host/ari/events?api_key=asterisk:s3cret")
'ws://asterisk:***@host/ari/events?api_key=asterisk:***'
"""

from __future__ import annotations

import base64
import re
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

__all__ = ["Credentials", "strip_url_credentials", "url_credentials"]

_MASK = "***"


class Credentials:
    """An ARI user name and password. ``repr``/``str`` show ``***`` for the password."""

    __slots__ = ("_password", "username")

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self._password = password

    @property
    def password(self) -> str:
        """The password itself (only for building requests)."""
        return self._password

    def basic_auth_header(self) -> str:
        """The ``Authorization`` header value for HTTP Basic."""
        token = base64.b64encode(f"{self.username}:{self._password}".encode()).decode()
        return f"Basic {token}"

    def api_key(self) -> str:
        """The ``api_key`` query value (``user:password``)."""
        return f"{self.username}:{self._password}"

    def matches(self, username: str, password: str) -> bool:
        return username == self.username and password == self._password

    def redact(self, text: str) -> str:
        """Replace every occurrence of the password (plain, URL-encoded or in a Basic token) with ``***``."""
        if not self._password:
            return text
        from urllib.parse import quote, quote_plus

        for secret in {
            self._password,
            quote(self._password, safe=""),
            quote_plus(self._password),
            base64.b64encode(f"{self.username}:{self._password}".encode()).decode(),
        }:
            if secret:
                text = text.replace(secret, _MASK)
        return text

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password={_MASK!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Credentials)
            and other.username == self.username
            and other._password == self._password
        )

    def __hash__(self) -> int:
        return hash((self.username, self._password))

    def __reduce__(self) -> tuple[object, ...]:
        # Pickling keeps the secret out of anything that might be printed from the pickle stream's repr.
        return (Credentials, (self.username, self._password))


def url_credentials(url: str | SplitResult) -> tuple[str | None, str | None]:
    """The user name and password written in a URL's userinfo, percent-decoded (RFC 3986).

    ``None`` for a part the URL does not have. ``+`` stays ``+``: only query strings use it for a space.

    >>> url_credentials("http://asterisk:p%40ss@127.0.0.1:8088")
    ('asterisk', 'p@ss')
    """
    parts = urlsplit(url) if isinstance(url, str) else url
    username, password = parts.username, parts.password
    return (
        None if username is None else unquote(username),
        None if password is None else unquote(password),
    )


_USERINFO = re.compile(r"//[^/@\s]*@")


def strip_url_credentials(url: str) -> str:
    """Drop ``user:password@`` and the ``api_key`` query value from a URL for display.

    >>> strip_url_credentials("http://u:p@127.0.0.1:8088/ari?api_key=u:p&app=x")
    'http://127.0.0.1:8088/ari?api_key=***&app=x'
    """
    try:
        parts: SplitResult = urlsplit(url)
    except ValueError:
        return _USERINFO.sub("//", url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = re.sub(r"(^|&)api_key=[^&]*", r"\1api_key=" + _MASK, parts.query)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))

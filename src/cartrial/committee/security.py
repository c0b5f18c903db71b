"""HTTP hardening of the workspace: security headers, Secure cookies over HTTPS, escaped error
pages.

Headers follow the OWASP Secure Headers Project (2023) and OWASP HTTP Headers Cheat Sheet:
a Content-Security-Policy that allows no script, no framing and forms posted only to this site;
``X-Frame-Options: DENY`` for older browsers; ``X-Content-Type-Options: nosniff``;
``Referrer-Policy: no-referrer``; and ``Cache-Control: no-store`` so that trial data is not
kept by shared caches or the browser's back button after logout.
"""

from __future__ import annotations

import html
from typing import Any

from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


class SecurityHeaders:
    """ASGI middleware: adds :data:`HEADERS` to every response, and ``Secure`` to every cookie
    when the request came over HTTPS (directly, or from a trusted proxy's
    ``X-Forwarded-Proto: https``, which uvicorn turns into the request's scheme).

    Parameters
    ----------
    app : ASGI application
    force_secure : bool
        Mark cookies ``Secure`` on every response (``cartrial serve --secure-cookies``).
    """

    def __init__(self, app: ASGIApp, force_secure: bool = False) -> None:
        self.app = app
        self.force_secure = force_secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secure = self.force_secure or scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.decode("latin-1").lower() not in HEADERS]
                if secure:
                    headers = [(k, _secure_cookie(v) if k.lower() == b"set-cookie" else v)
                               for k, v in headers]
                headers += [(k.encode(), v.encode()) for k, v in HEADERS.items()]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _secure_cookie(value: bytes) -> bytes:
    return value if b"secure" in value.lower() else value + b"; Secure"


def error_page(status: int, message: Any) -> HTMLResponse:
    """A plain error page whose every echoed character is HTML-escaped.

    Parameters
    ----------
    status : int
        HTTP status code.
    message : Any
        What to tell the user (escaped; may come from the request).

    Returns
    -------
    HTMLResponse

    Examples
    --------
    >>> b"no patient &lt;script&gt;" in error_page(404, "no patient <script>").body
    True
    """
    text = html.escape(str(message), quote=True)
    body = (f"<!doctype html><title>{status}</title><h1>{status}</h1><p>{text}</p>"
            '<p><a href="/">Back to the workspace</a></p>')
    return HTMLResponse(body, status_code=status)

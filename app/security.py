"""HTTP hardening: security headers, cookie flags, and proxy awareness."""
from __future__ import annotations

from flask import Flask, request
from flask.wrappers import Response
from werkzeug.middleware.proxy_fix import ProxyFix

from app.errors.exceptions import ValidationError

# Everything from this site, nothing inline: no inline scripts or styles, no
# other host, and no framing (clickjacking). data: images are Bootstrap's
# inlined icons.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def security_headers(app: Flask) -> dict[str, str]:
    """The headers every response carries (the liveness probe's included)."""
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Frame-Options": "DENY",  # frame-ancestors' older spelling
    }
    if app.config["HSTS_SECONDS"]:
        headers["Strict-Transport-Security"] = f"max-age={app.config['HSTS_SECONDS']}; includeSubDomains"
    return headers


NUL_MESSAGE = "The request contains a NUL character, which no field accepts."


def reject_nul_characters() -> None:
    """A NUL byte in any text makes PostgreSQL refuse the statement (a 500),
    and is never legitimate input: refuse it up front with a clear 400."""
    values = [request.path, *request.args.values(), *(request.form.values() if request.form else ())]
    if any("\x00" in value for value in values):
        raise ValidationError(NUL_MESSAGE)


def init_app(app: Flask) -> None:
    headers = security_headers(app)
    app.before_request(reject_nul_characters)

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

    secure = app.config.get("SECURE_COOKIES")
    if secure is None:  # production unless told otherwise
        secure = not (app.debug or app.testing)
    app.config.update(
        SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SAMESITE="Lax",
    )

    hops = app.config["PROXY_FIX_HOPS"]
    if hops:
        # Trust exactly this many proxies' X-Forwarded-* headers; a client
        # cannot spoof its address past them.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops,  # type: ignore[method-assign]
                                x_prefix=hops)

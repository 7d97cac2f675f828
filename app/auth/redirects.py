"""Where to go after login: only a path on this site."""
from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None) -> str | None:
    """Return ``target`` when it is a local path, else None.

    Browsers read ``//host``, ``/\\host`` and ``/<tab>/host`` as another site, so
    a bare netloc check is not enough: require a single leading slash, no
    backslash and no control or space characters anywhere.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 33 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target

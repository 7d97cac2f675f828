"""Choosing the provider from the settings, and refusing at start-up the
settings that could never work (as LANGUAGES and PROXY_FIX_PREFIX do)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from app.translate.libretranslate import LibreTranslate
from app.translate.provider import Translator


def _libretranslate(config: Mapping[str, Any]) -> Translator:
    url = config.get("LIBRETRANSLATE_URL") or ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"TRANSLATOR=libretranslate needs LIBRETRANSLATE_URL, an http(s) address; got {url!r}")
    return LibreTranslate(url, config.get("LIBRETRANSLATE_API_KEY") or "")


PROVIDERS: dict[str, Callable[[Mapping[str, Any]], Translator]] = {"libretranslate": _libretranslate}


def make_translator(config: Mapping[str, Any]) -> Translator | None:
    """The configured provider; None when TRANSLATOR is empty (translation off)."""
    name, timeout = config.get("TRANSLATOR") or "", config.get("TRANSLATE_TIMEOUT")
    if not isinstance(timeout, int | float) or timeout <= 0:
        raise ValueError(f"TRANSLATE_TIMEOUT must be a positive number of seconds; got {timeout!r}")
    if not name:
        return None
    if name not in PROVIDERS:
        raise ValueError(f"TRANSLATOR must be empty or one of {', '.join(PROVIDERS)}; got {name!r}")
    return PROVIDERS[name](config)

"""LibreTranslate (https://libretranslate.com, self-hostable), through its
documented API: ``POST /translate`` with ``q``, ``source``, ``target``,
``format`` and an optional ``api_key``, answering ``{"translatedText": ...}``,
or ``{"error": ...}`` with 400 (bad request, unsupported language), 403
(wrong or banned key), 429 (too many requests) or 500."""
from __future__ import annotations

from typing import Any

from app.translate.client import post_json
from app.translate.provider import AUTH, BAD_RESPONSE, RATE_LIMITED, REJECTED, UNAVAILABLE, TranslationFailed

_BY_STATUS = {400: REJECTED, 401: AUTH, 403: AUTH, 429: RATE_LIMITED}


class LibreTranslate:
    name = "libretranslate"

    def __init__(self, url: str, api_key: str = "") -> None:
        self.endpoint = url.rstrip("/") + "/translate"
        self._api_key = api_key

    def __repr__(self) -> str:  # never the key, should the object end up in a log or a traceback
        return f"<LibreTranslate {self.endpoint}>"

    def translate(self, text: str, source: str, dest: str, timeout: float) -> str:
        payload: dict[str, Any] = {"q": text, "source": source, "target": dest, "format": "text"}
        if self._api_key:
            payload["api_key"] = self._api_key
        status, answer = post_json(self.endpoint, payload, timeout)
        if status != 200:
            failure = _BY_STATUS.get(status, UNAVAILABLE if status >= 500 else BAD_RESPONSE)
            raise TranslationFailed(failure, status)
        translated = answer.get("translatedText") if isinstance(answer, dict) else None
        if not isinstance(translated, str):
            raise TranslationFailed(BAD_RESPONSE, status)
        return translated

"""The language of a post's body, as an ISO 639-1 code, or "" when unsure
(issue 16): stored with the body at every write, it decides whether a
reader is offered "Translate".

py3langid, restricted to LANGUAGES, was chosen by bench/detectors.py (make
bench-detect) on a hand-written sample of short posts: it answered the most
of them, all rightly, gave no language to any of the sample's keyboard
mashes and code, and took about 70 µs a post where langdetect and lingua
took 1 to 3 ms. MIN_LETTERS and MIN_CONFIDENCE come from the same bench.
"""
from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

# The languages a post is told apart among. Not all of py3langid's 140
# labels: on a 20-letter post, the whole set confuses Spanish with Galician
# or Asturian, Portuguese with Galician, Italian with Latin or Esperanto,
# which nobody here writes in and no translator would want as the source;
# and some of its labels are not ISO 639-1 codes at all ("ace", "zxx").
# These are the world's most written languages that every candidate of the
# bench knows, the interface's among them.
LANGUAGES: Final[tuple[str, ...]] = (
    "en", "es", "de", "fr", "it", "pt", "nl", "ca", "pl", "ro", "sv", "da", "no", "fi", "cs", "hu", "tr",
    "ru", "uk", "el", "ar", "he", "fa", "hi", "ja", "zh", "ko", "id", "vi",
)
# Below this many letters (URLs, mentions and tag markers removed) a post is
# "": the bench's accuracy by length falls apart under it ("lol same").
MIN_LETTERS: Final = 12
# py3langid's normalised probability of its best language; below it, "".
MIN_CONFIDENCE: Final = 0.85

# Not language: links, @mentions (usernames are often words of no language
# or of another one) and the "#" of a tag (the tag's word is kept: it is
# usually a word of the post's language).
_NOT_LANGUAGE = re.compile(r"\bhttps?://\S+|\bwww\.\S+|(?<![\w@])@[\w.-]+|#(?=\w)", re.IGNORECASE)
_SPACES = re.compile(r"\s+")

_identifier: LanguageIdentifier | None = None
_lock = threading.Lock()


def clean(body: str) -> str:
    """``body`` without what says nothing of its language."""
    return _SPACES.sub(" ", _NOT_LANGUAGE.sub(" ", body)).strip()


def letter_count(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def _model() -> LanguageIdentifier:
    """The model, loaded on first use (about half a second and 80 MiB:
    not at import, so the commands and processes that never write a post do
    not pay it) and once per process, even when two request threads ask at
    once."""
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                identifier.set_languages(list(LANGUAGES))
                _identifier = identifier
    return _identifier


def classify(text: str) -> tuple[str, float]:
    """The best language of already ``clean`` text and its probability."""
    language, confidence = _model().classify(text)
    return language, confidence


def detect(body: str) -> str:
    """``body``'s language as an ISO 639-1 code, or "" when the post is too
    short to tell or the detector is not confident enough."""
    text = clean(body)
    if letter_count(text) < MIN_LETTERS:
        return ""
    language, confidence = classify(text)
    return language if confidence >= MIN_CONFIDENCE else ""

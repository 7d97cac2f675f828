"""The mentions, hashtags and links of ``flask seed``'s posts, and their
rendered HTML, so that the pages and the bench show what a real site's
posts carry (issue 15). Drawn from a random generator of their own, so a
``--seed`` gives the same users, posts, messages and likes as before."""
from __future__ import annotations

import itertools
import random
from collections.abc import Mapping, Sequence

from app.posts.render import Rendered, render

MAX_BODY = 140
MENTION_SHARE = 0.15  # of posts that name another user
TAG_SHARE = 0.25  # of posts with one or two hashtags
LINK_SHARE = 0.10  # of posts with a link
# Topics, the first most used (Zipf-like weights, like the vocabulary's):
# the top tag of a seeded database is on several percent of its posts.
TAGS = (
    "coffee", "python", "flask", "music", "travel", "books", "photography", "running", "cooking", "football",
    "gardening", "movies", "science", "art", "news", "weather", "cats", "dogs", "tea", "cycling",
    "history", "design", "startups", "linux", "databases", "postgres", "sqlite", "jazz", "hiking", "poetry",
)
_TAG_WEIGHTS = list(itertools.accumulate(1 / rank for rank in range(1, len(TAGS) + 1)))
SITES = ("https://example.com", "https://news.example.org", "http://blog.example.net", "https://docs.example.io")


def decorate(rng: random.Random, body: str, usernames: Sequence[str]) -> str:
    """``body`` with, now and then, a mention, tags and a link, cut to fit
    MAX_BODY (words first, so the decorations survive whole)."""
    extra = []
    if usernames and rng.random() < MENTION_SHARE:
        extra.append("@" + rng.choice(usernames))
    if rng.random() < TAG_SHARE:
        extra.extend("#" + tag for tag in dict.fromkeys(rng.choices(TAGS, cum_weights=_TAG_WEIGHTS,
                                                                    k=rng.randint(1, 2))))
    if rng.random() < LINK_SHARE:
        extra.append(f"{rng.choice(SITES)}/{rng.randrange(10_000)}.")
    if not extra:
        return body
    tail = " " + " ".join(extra)
    room = MAX_BODY - len(tail)
    if len(body) > room:
        body = body[:room + 1].rsplit(" ", 1)[0] if " " in body[:room + 1] else body[:room]
    return body + tail


def rendered(bodies: Sequence[str], known: Mapping[str, str]) -> list[Rendered]:
    """Each body rendered as publish() would, ``known`` mapping lower-cased
    names to the users that exist."""
    return [render(body, known) for body in bodies]

"""The replies and likes of ``flask seed``: who answers whom, and which
posts are liked, drawn so that the pages see what a real site has (threads
of a few posts, and a few popular posts with most of the likes)."""
from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta

# A reply answers one of the posts just before it (in time): a post's answers
# come soon after it, as they do on a live site.
REPLY_REACH = 20
# Like popularity: Pareto-distributed weights, so a few posts collect most likes.
POPULARITY_SHAPE = 1.2
DAY_S = 60 * 60 * 24


def reply_parents(rng: random.Random, count: int, share: float) -> dict[int, int]:
    """For posts 0..count-1 in time order: {reply index: answered index},
    about ``share`` of them replies, each to an earlier post."""
    parents = {}
    for index in range(1, count):
        if rng.random() < share:
            parents[index] = max(0, index - 1 - int(rng.expovariate(1 / REPLY_REACH)))
    return parents


def like_pairs(rng: random.Random, posts: int, user_ids: list[int], count: int) -> set[tuple[int, int]]:
    """Up to ``count`` distinct (post index, user id) likes, popular posts
    drawn more often (a draw repeating a pair is dropped: one like each)."""
    if not posts or not count:
        return set()
    weights = [rng.paretovariate(POPULARITY_SHAPE) for _ in range(posts)]
    chosen = rng.choices(range(posts), weights=weights, k=count)
    return {(index, rng.choice(user_ids)) for index in chosen}


def like_counts(pairs: Iterable[tuple[int, int]]) -> Counter[int]:
    """Likes per post index, from distinct (post index, user) pairs."""
    return Counter(index for index, _ in pairs)


def like_time(rng: random.Random, posted: datetime, now: datetime) -> datetime:
    """Within a day of the post, and not in the future."""
    return min(now, posted + timedelta(seconds=rng.randrange(DAY_S)))

"""The words ``flask seed`` writes posts and private messages with.

The full-text search benchmarks run on seeded databases, and what a search
costs depends on how often its terms occur: a word in most posts has a long
posting list, a word in a handful a short one. So the seed draws from a few
thousand words with Zipf-like frequencies, and keeps them in one ranked tuple
from which a benchmark can pick "a common word" or "a rare word" by rank.

Real English words sit among invented ones, inflected forms whose stems
collide (run, runs, running) and accented words beside their plain spellings
(café, cafe), so that stemming and accent folding have something to find.
There are no stop words: a configuration that drops them (PostgreSQL's
"english", though not ours) would turn a search for one into a search for
nothing.

The tuple is the same on every run and machine, whatever ``--seed`` is.
"""
from __future__ import annotations

import random
from collections.abc import Sequence
from itertools import accumulate
from typing import Final, TypeVar

_T = TypeVar("_T")

SIZE: Final = 3000

# Real words, most frequent first. The first 50 take every other rank of the
# top 100, the next 225 every fourth rank up to 1,000, the rest are spread
# evenly over the tail; invented words fill the ranks between.
_REAL = """
time day people good new coffee work today world life home friends love music night great run idea
team city food book code family game water school photo travel weekend house walk happy little long
place right think know make look want first last best thing year week morning hello

working worked works running walking walked friend loved loving lovely play played playing player
players games read reading reader books write writing writer written learn learning learned build
building built test testing tested tests ship shipped shipping deploy deployed deployment review
reviews cook cooking cooked cookies bake baking baked bakery cafe cafes café tea breakfast lunch
dinner bread cheese pizza pasta salad soup cake chocolate garden flowers tree trees river mountain
beach ocean rain snow sun summer winter spring autumn train bus bike car road street park market
shop store office meeting meetings email phone computer screen python flask server database query
search searching release bug bugs fix fixed fixing feature features change changes changed start
started starting finish finished happiness tired busy quiet loud small big fast slow quick early
late open close study studying studied studies university connect connected connection connections
try tried trying fly flying flight swim swimming traveling trip trips photos camera picture pictures
film movie movies song songs band concert guitar piano dance dancing paint painting color colors art
museum history story stories news article blog post posts posted feed follow following followed
followers share shared sharing comment comments thanks thank birthday party holiday holidays
vacation tomorrow yesterday tonight minute minutes hour hours month months dog dogs cat cats bird
birds horse brown jump sleep sleeping dream dreams runs ran

universe universal organize organized organizing organization photograph photography swam flew
travelled travelling traveled colour danced painted posting dreaming slept jumped jumping jumps fox
lazy keyboard tries searched happier reviewed deploying builds learns wrote closed changing runner
runners walker walks cafés naive naïve resume résumé creme crème brûlée jalapeño jalapeños jalapeno
uber über São Paulo Zürich façade facade fiancé fiancée piñata señor mañana déjà rosé protégé entrée
soirée cliché touché doppelgänger smörgåsbord Kraków Montréal Québec Bogotá Reykjavík straße crêpe
crêpes pâté flambé sauté sautéed purée frappé müsli muesli açaí niño generous generously generosity
happiest friendship friendly wonderful wonderfully wondering wondered quietly quieter beautiful
beautifully beauty sunrise sunset sunshine thunderstorm lighthouse harbor harbour espresso
cappuccino latte barista croissant baguette sourdough bagel waffles pancakes marathon jogging jogged
hiking hiked hike climbing climbed kayak kayaking sailing sailed telescope astronomy galaxy planets
refactor refactoring refactored migration migrations benchmark benchmarks latency throughput
compiler debugging debugged container containers
"""

# Snowball's English stop words (PostgreSQL's "english" configuration drops
# the same): no invented word may be one of them.
_STOP_WORDS: Final = frozenset("""
i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her
hers herself it its itself they them their theirs themselves what which who whom this that these those
am is are was were be been being have has had having do does did doing a an the and but if or because
as until while of at by for with about against between into through during before after above below
to from up down in out on off over under again further then once here there when where why how all
any both each few more most other some such no nor not only own same so than too very s t can will
just don should now
""".split())

# Invented words: consonant-vowel syllables, a consonant to end on sometimes.
_ONSETS = ("b", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z",
           "br", "ch", "dr", "fl", "gr", "kr", "pl", "sh", "sk", "st", "th", "tr")
_VOWELS = ("a", "e", "i", "o", "u", "a", "e", "i", "o", "a", "ai", "ou")
_CODAS = ("", "", "", "", "n", "r", "l", "s", "m", "k", "t", "nd", "st", "x")
_SYLLABLES = (1, 2, 2, 2, 3, 3)


def _pick(rng: random.Random, options: Sequence[_T]) -> _T:
    # Only random() is promised to give the same sequence on every Python
    # version; choice() and shuffle() are not.
    return options[int(rng.random() * len(options))]


def _invented(rng: random.Random) -> str:
    syllables = [f"{_pick(rng, _ONSETS)}{_pick(rng, _VOWELS)}" for _ in range(_pick(rng, _SYLLABLES))]
    return "".join(syllables) + _pick(rng, _CODAS)


def _interleave(real: list[str], invented: list[str]) -> tuple[str, ...]:
    total = len(real) + len(invented)
    head = [*range(0, 100, 2), *range(100, 1000, 4)]
    rest = len(real) - len(head)
    slots = {*head, *(1000 + i * (total - 1000) // rest for i in range(rest))}
    real_words, invented_words = iter(real), iter(invented)
    return tuple(next(real_words) if rank in slots else next(invented_words) for rank in range(total))


def _vocabulary() -> tuple[str, ...]:
    real = _REAL.split()
    seen = {*real, *_STOP_WORDS}
    rng = random.Random(20240611)  # fixed: the same words everywhere, whatever --seed is
    invented: list[str] = []
    while len(real) + len(invented) < SIZE:
        word = _invented(rng)
        if len(word) >= 4 and word not in seen:
            seen.add(word)
            invented.append(word)
    return _interleave(real, invented)


# Rank 0 is the most common; the word of rank r weighs 1/(r + 1). Of the
# English posts of a default `flask seed` (--seed 1, 2 and 3; about 13,000 of
# its 20,000, the others being in other languages: app/cli/seed_languages.py),
# the word at rank 0 is in about 68%, rank 10 in 10%, rank 100 in 1.2% (about 160 posts), rank
# 1,000 in 0.15% (about 20) and the last rank in 0.03% (2 to 7 posts), and
# nearly every word is in at least one post. Those count the exact word: a
# stemmer finds more ("working", rank 100, also finds work, works, worked).
VOCABULARY: Final[tuple[str, ...]] = _vocabulary()
# For rng.choices(VOCABULARY, cum_weights=CUM_WEIGHTS): summed once here, not
# at every draw.
CUM_WEIGHTS: Final[tuple[float, ...]] = tuple(accumulate(1 / (rank + 1) for rank in range(len(VOCABULARY))))

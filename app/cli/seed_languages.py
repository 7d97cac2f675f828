"""The posts ``flask seed`` writes in other languages than English (issue
16), so that pages show posts a reader may want translated, each with the
language it was written in.

A sentence is an opening, a middle and an ending, one of each drawn from the
hand-written phrases of its language below: a few hundred sentences per
language, every one of them a plausible post. The English posts stay those
of the vocabulary (app/cli/vocabulary.py), whose word frequencies the search
benchmarks rely on.
"""
from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Final, NamedTuple

SHARE: Final = 0.35  # of seeded posts written in another language than English


class Phrases(NamedTuple):
    openings: tuple[str, ...]
    middles: tuple[str, ...]
    endings: tuple[str, ...]  # one starting with ",", "!" or " !" (French) is joined as it is


PHRASES: Final[dict[str, Phrases]] = {
    "es": Phrases(
        ("Hoy", "Esta mañana", "Por fin", "Anoche", "Este fin de semana", "Otra vez", "Ayer por la tarde",
         "Como cada lunes"),
        ("he salido a correr por el parque", "me he tomado un café con mi hermana",
         "he terminado el libro que me recomendaste", "hemos probado el restaurante nuevo del barrio",
         "he estado arreglando la bicicleta", "ha llovido sin parar", "hemos visto una película preciosa",
         "hemos cocinado una paella para toda la familia", "he perdido el tren de las ocho",
         "he empezado a aprender a tocar el piano"),
        ("y estoy muy contento", "y no me arrepiento", ", qué día tan largo", ", os lo recomiendo",
         "y ahora necesito dormir", ", ¡qué alegría!", "y mañana más", ", ya os contaré"),
    ),
    "de": Phrases(
        ("Heute", "Heute Morgen", "Endlich", "Gestern Abend", "Am Wochenende", "Schon wieder", "Gestern Nachmittag",
         "Wie jeden Montag"),
        ("bin ich im Park joggen gewesen", "habe ich mit meiner Schwester Kaffee getrunken",
         "habe ich das Buch zu Ende gelesen, das du mir empfohlen hast",
         "haben wir das neue Restaurant im Viertel ausprobiert", "habe ich mein Fahrrad repariert",
         "hat es ohne Pause geregnet", "haben wir einen wunderschönen Film gesehen",
         "haben wir für die ganze Familie gekocht", "habe ich den Zug um acht verpasst",
         "habe ich angefangen, Klavier zu lernen"),
        ("und ich bin richtig froh", "und ich bereue nichts", ", was für ein langer Tag", ", kann ich nur empfehlen",
         "und jetzt muss ich schlafen", "! Wie schön", "und morgen geht es weiter", ", ich erzähle euch noch mehr"),
    ),
    "fr": Phrases(
        ("Aujourd'hui", "Ce matin", "Enfin", "Hier soir", "Ce week-end", "Encore une fois", "Hier après-midi",
         "Comme chaque lundi"),
        ("je suis allé courir dans le parc", "j'ai pris un café avec ma sœur",
         "j'ai fini le livre que tu m'avais conseillé", "on a testé le nouveau restaurant du quartier",
         "j'ai réparé mon vélo", "il a plu sans arrêt", "on a vu un film magnifique",
         "on a cuisiné pour toute la famille", "j'ai raté le train de huit heures",
         "j'ai commencé à apprendre le piano"),
        ("et je suis super content", "et je ne regrette rien", ", quelle longue journée", ", je vous le conseille",
         "et maintenant j'ai besoin de dormir", " ! Quel bonheur", "et on recommence demain",
         ", je vous raconterai"),
    ),
    "it": Phrases(
        ("Oggi", "Stamattina", "Finalmente", "Ieri sera", "Questo fine settimana", "Ancora una volta",
         "Ieri pomeriggio", "Come ogni lunedì"),
        ("sono andato a correre nel parco", "ho preso un caffè con mia sorella",
         "ho finito il libro che mi avevi consigliato", "abbiamo provato il nuovo ristorante del quartiere",
         "ho sistemato la bicicletta", "ha piovuto senza sosta", "abbiamo visto un film bellissimo",
         "abbiamo cucinato per tutta la famiglia", "ho perso il treno delle otto",
         "ho cominciato a studiare pianoforte"),
        ("e sono proprio contento", "e non me ne pento", ", che giornata lunga", ", ve lo consiglio",
         "e adesso ho bisogno di dormire", "! Che gioia", "e domani si ricomincia", ", poi vi racconto"),
    ),
    "pt": Phrases(
        ("Hoje", "Hoje de manhã", "Finalmente", "Ontem à noite", "Neste fim de semana", "Mais uma vez",
         "Ontem à tarde", "Como toda segunda-feira"),
        ("fui correr no parque", "tomei um café com a minha irmã", "terminei o livro que você me recomendou",
         "experimentamos o restaurante novo do bairro", "consertei a minha bicicleta", "choveu sem parar",
         "vimos um filme lindo", "cozinhamos para a família toda", "perdi o trem das oito",
         "comecei a aprender a tocar piano"),
        ("e estou muito feliz", "e não me arrependo", ", que dia longo", ", recomendo muito",
         "e agora preciso dormir", "! Que alegria", "e amanhã tem mais", ", depois eu conto"),
    ),
}
LANGUAGES: Final[tuple[str, ...]] = tuple(PHRASES)


def _pick(rng: random.Random, options: Sequence[str]) -> str:
    # random() alone, as app/cli/vocabulary.py does: the only draw Python
    # promises to repeat on every version for a given seed.
    return options[int(rng.random() * len(options))]


def sentence(rng: random.Random, language: str) -> str:
    phrases = PHRASES[language]
    ending = _pick(rng, phrases.endings)
    joined = f"{_pick(rng, phrases.openings)} {_pick(rng, phrases.middles)}"
    return joined + ending if ending[0] in ",! " else f"{joined} {ending}."


def choose(rng: random.Random) -> str | None:
    """The language of the next post: None for English (the vocabulary's)."""
    return _pick(rng, LANGUAGES) if rng.random() < SHARE else None

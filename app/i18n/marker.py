"""``N_``: marks a string for the catalogue without translating it, for text
stored in English and translated where it is shown (a task's failure)."""


def N_(text: str) -> str:  # noqa: N802 (gettext's conventional name)
    return text

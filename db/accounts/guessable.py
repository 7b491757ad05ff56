"""Words a password must not be made of, recognised in the spellings people use to disguise them.

A guesser tries the obvious words first – the published demo password, the product's and the
programme's names, the person's own names – in every spelling: any case, digits and symbols
before, between and after them, and the usual substitutions (0 for o, 1 for i or l, 3 for e,
4 or @ for a, 5 or $ for s, …). One pattern per word recognises all of those at once, so a new
disguise of a word on the list needs no new rule here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

# Common substitutions, by the letter they stand for.
_SUBSTITUTES = {
    "a": "4@",
    "b": "8",
    "e": "3€",
    "g": "9",
    "i": "1!|",
    "l": "1|",
    "o": "0",
    "s": "5$",
    "t": "7+",
    "z": "2",
}
# Spellings of a letter without its diacritic ("neisse" for "neiße", "passwoerter").
_SPELLINGS = {"ß": ("ss", "sz"), "ä": ("ae", "a"), "ö": ("oe", "o"), "ü": ("ue", "u")}
_LETTER = "a-zäöüß"
# Around and between the words: anything that is not a letter (digits, symbols, spaces).
_PADDING = f"[^{_LETTER}]*"


def _letter(char: str) -> str:
    if char in _SPELLINGS:
        return "(?:" + "|".join([re.escape(char), *(_word(s) for s in _SPELLINGS[char])]) + ")"
    if char in _SUBSTITUTES:
        return f"[{re.escape(char + _SUBSTITUTES[char])}]"
    return re.escape(char)


def _word(word: str) -> str:
    """A word in any of its disguises; a word of several parts ("demo-passwort") may have any
    padding where it has a separator."""
    parts = [part for part in re.split(f"[^{_LETTER}0-9]+", word.lower()) if part]
    return _PADDING.join("".join(_letter(char) for char in part) for part in parts)


@functools.lru_cache(maxsize=64)
def _made_of(words: tuple[str, ...]) -> re.Pattern[str]:
    # Longest first: the regex engine tries alternatives in order.
    choice = "|".join(_word(w) for w in sorted(set(words), key=len, reverse=True) if _word(w))
    return re.compile(f"{_PADDING}(?:(?:{choice}){_PADDING})+", re.IGNORECASE)


def made_of(password: str, words: Iterable[str]) -> bool:
    """True if the password is nothing but these words (repeated, in any order, disguised)."""
    words = tuple(words)
    return bool(words) and _made_of(words).fullmatch(password.lower()) is not None


def contains(password: str, word: str) -> bool:
    """True if the password has this word anywhere in it, in any disguise."""
    pattern = _word(word)
    return bool(pattern) and re.search(pattern, password.lower(), re.IGNORECASE) is not None

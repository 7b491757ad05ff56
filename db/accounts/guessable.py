"""Words a password must not be made of, recognised in the spellings people use to disguise them.

A guesser tries the obvious words first – the published demo password, the product's and the
programme's names, the person's own names – in every spelling. Rather than one rule per disguise,
both the password and the words are brought to one form first, and the words are looked for in
that form:

- NFKC (full-width `Ｄｅｍｏ` is `Demo`), casefold (`ß` is `ss`), accents and umlauts folded
  (`ä`, `ae` and `a` are one letter);
- everything that is neither a letter nor a usual substitute for one is dropped: spaces,
  separators and symbols before, between and inside words (`D-e-m-o`, `Bi-anca`) count for
  nothing;
- spellings of one sound are one spelling (`c`/`k`, `ph`/`f`, `v`/`f`, `y`/`i`, `th`/`t`), a
  doubled letter matches a single one and the reverse;
- a word's letter matches its substitutes (0 for o, 1 for i or l, 3 for e, 4 or @ for a, 5 or $
  for s, 7 or + for t, …), so a new disguise of a word on the list needs no new rule here.

A password is *dominated* by the words when they cover at least two thirds of its letters or
leave fewer than four letters of its own: `Demo-Passwort-2026x` is refused, a long passphrase
that merely contains one such word (`Spree-Kiefernzapfen-Wolke!`) is not.
"""

from __future__ import annotations

import functools
import re
import unicodedata
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
_STANDINS = frozenset("".join(_SUBSTITUTES.values()))
_BETWEEN = "[^a-z]*?"
# Spellings of one sound, after umlauts are folded (ae → a); applied to password and words alike.
_SOUNDS = (("ae", "a"), ("oe", "o"), ("ue", "u"), ("ph", "f"), ("th", "t"), ("dt", "t"),
           ("c", "k"), ("v", "f"), ("y", "i"))
MIN_OWN_LETTERS = 4  # a password needs at least this many letters besides the words …
MAX_WORD_SHARE = 2 / 3  # … and the words may cover less than this share of its letters
MIN_WORD = 3  # shorter words (after folding) would be found in almost any password


def folded(text: str) -> str:
    """The one form of a password or word: letters and substitutes, spellings folded."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    text = "".join(ch for ch in text if ("a" <= ch <= "z") or ch in _STANDINS)
    for spelling, sound in _SOUNDS:
        text = text.replace(spelling, sound)
    return text


def _word(word: str) -> str:
    """A word as a pattern over folded text: each letter also as its substitutes, repeated or not."""
    letters = re.sub(r"(.)\1+", r"\1", "".join(ch for ch in folded(word) if "a" <= ch <= "z"))
    if len(letters) < MIN_WORD:
        return ""
    # Between two letters any substitutes may stand as separators ("B+ianca", "D3-m0").
    return _BETWEEN.join(f"[{re.escape(ch + _SUBSTITUTES.get(ch, ''))}]+" for ch in letters)


@functools.lru_cache(maxsize=64)
def _any_of(words: tuple[str, ...]) -> re.Pattern[str] | None:
    # Longest first: at each position the longest word that starts there is the one found.
    patterns = sorted({p for p in map(_word, words) if p}, key=len, reverse=True)
    return re.compile(f"(?=({'|'.join(patterns)}))") if patterns else None


def covered(password: str, words: Iterable[str]) -> tuple[int, int]:
    """(letters the words cover, letters left over) in the folded password. A substitute counts
    as a letter where a word covers it and as nothing elsewhere (digits in `…2026` are none)."""
    text = folded(password)
    marks = [False] * len(text)
    pattern = _any_of(tuple(words))
    for found in pattern.finditer(text) if pattern else ():
        for at in range(found.start(1), found.end(1)):
            marks[at] = True
    return sum(marks), sum(1 for ch, mark in zip(text, marks, strict=True) if not mark and ch.isalpha())


def dominated_by(password: str, words: Iterable[str]) -> bool:
    """True if these words (repeated, in any order, disguised) make up most of the password."""
    words_letters, own = covered(password, words)
    return words_letters > 0 and (own < MIN_OWN_LETTERS
                                  or words_letters >= MAX_WORD_SHARE * (words_letters + own))


def contains(password: str, word: str) -> bool:
    """True if the password has this word anywhere in it, in any disguise."""
    pattern = _word(word)
    return bool(pattern) and re.search(pattern, folded(password)) is not None

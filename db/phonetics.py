"""Kölner Phonetik (Hans Joachim Postel, 1969): a German name as the digits of how it sounds, so
that Meyer, Maier and Mayer (67) or Schmidt and Schmitt (862) are one code.

The published algorithm: each letter gets a digit from its neighbours (table below), then
repeated digits are merged and every 0 except a leading one is dropped. H gets no digit.
Letters outside A–Z are folded (Ä→A, é→E, ß→S); anything else separates words, and each word
starts afresh (the rules for an initial C). The duplicate check (db/casework/identity.py) and
the case search compare these codes, stored beside the names (Client.first_name_code …).
"""

from __future__ import annotations

import unicodedata

_PLAIN = {"A": "0", "E": "0", "I": "0", "J": "0", "O": "0", "U": "0", "Y": "0",
          "B": "1", "F": "3", "V": "3", "W": "3", "G": "4", "K": "4", "Q": "4",
          "L": "5", "M": "6", "N": "6", "R": "7", "S": "8", "Z": "8", "H": ""}
# C sounds as K (4) before these letters: at the start of a word, and after another letter.
_INITIAL_HARD = tuple("AHKLOQRUX")
_HARD = tuple("AHKOQUX")


def _letters(text: str) -> list[str]:
    """Words of A–Z only: umlauts and accents folded, ß as S, everything else a gap."""
    folded = unicodedata.normalize("NFKD", text.replace("ß", "S").replace("ẞ", "S")).upper()
    words, word = [], []
    for char in folded:
        if "A" <= char <= "Z":
            word.append(char)
        elif unicodedata.combining(char):
            continue  # the dots of Ä are not a gap
        elif word:
            words.append("".join(word))
            word = []
    if word:
        words.append("".join(word))
    return words


def _digits(word: str) -> str:
    out = []
    for i, char in enumerate(word):
        before = word[i - 1] if i else ""
        after = word[i + 1] if i + 1 < len(word) else ""
        if char in _PLAIN:
            out.append(_PLAIN[char])
        elif char == "P":
            out.append("3" if after == "H" else "1")
        elif char in "DT":
            out.append("8" if after in ("C", "S", "Z") else "2")
        elif char == "X":
            out.append("8" if before in ("C", "K", "Q") else "48")
        elif char == "C":
            if not before:  # at the start of a word
                out.append("4" if after in _INITIAL_HARD else "8")
            elif before in ("S", "Z"):
                out.append("8")
            else:
                out.append("4" if after in _HARD else "8")
    return "".join(out)


def raw_code(text: str) -> str:
    """The digits letter by letter, before merging (the first step of the published example)."""
    return "".join(_digits(word) for word in _letters(text))


def cologne(text: str) -> str:
    """The Kölner Phonetik of `text`: "" if it has no letter that sounds."""
    raw = raw_code(text)
    merged = [d for i, d in enumerate(raw) if i == 0 or d != raw[i - 1]]
    return "".join(d for i, d in enumerate(merged) if d != "0" or i == 0)

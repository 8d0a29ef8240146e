"""Name folding for search: case, accents and Swedish letters folded so that "Ahmed" finds "Åhmed"."""

from __future__ import annotations

import unicodedata

# Letters that Unicode does not decompose into a base letter and a mark.
_SPECIAL = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "þ": "th", "ı": "i"})


def fold(text: str) -> str:
    """Lower case, without accents or diacritics, single-spaced: the form names are searched in."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_SPECIAL))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())


def search_key(*names: str) -> str:
    """The folded names of a person (given, family, aliases) in one searchable string."""
    return fold(" ".join(name for name in names if name))

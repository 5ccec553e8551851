"""Locales: their shape, and the fallback chain that picks a variant for one.

A locale is a BCP 47 tag of a language and optional subtags (``pt``, ``pt-BR``,
``zh-Hant-TW``); ``pt_BR`` is read as ``pt-BR``. A message for ``pt-BR`` takes the
``pt-BR`` variant of a template, else the ``pt`` one, else the default.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_LOCALE_CHARS = 35  # BCP 47's longest common tags fit; no tag needs more
_LOCALE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


def check_locale(value: str | None) -> str | None:
    """The locale with ``-`` between subtags; a ValueError for anything else."""
    if value is None:
        return None
    tag = value.replace("_", "-")
    if len(tag) > MAX_LOCALE_CHARS or not _LOCALE.fullmatch(tag):
        raise ValueError(
            "is not a locale: a language code and optional subtags, e.g. 'pt' or 'pt-BR'"
        )
    return tag


def fallback_chain(locale: str) -> list[str]:
    """``pt-BR`` -> ``["pt-BR", "pt"]``: the locale, then each shorter prefix."""
    parts = locale.split("-")
    return ["-".join(parts[:n]) for n in range(len(parts), 0, -1)]


def pick_locale(available: Iterable[str], locale: str | None) -> str | None:
    """The key of ``available`` the chain of ``locale`` reaches first (case aside), or None."""
    if not locale:
        return None
    by_folded = {key.replace("_", "-").lower(): key for key in available}
    for candidate in fallback_chain(locale):
        if (found := by_folded.get(candidate.lower())) is not None:
            return found
    return None

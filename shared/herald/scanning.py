"""Finding things in hostile text in linear time, without regular expressions.

A pattern that backtracks can take time quadratic (or worse) in its input, and a
scan that searches from every place something could start does too. ``NextOf``
remembers where each needle was found, so a scan that asks for positions in
increasing order searches each stretch of the text once; every question costs a
unit of fuel from the caller's budget.
"""

from __future__ import annotations

from herald.templating import Budget


class NextOf:
    """The next position of any of ``needles`` at or after a position."""

    def __init__(self, text: str, budget: Budget, *needles: str) -> None:
        self.text = text
        self.budget = budget
        # Per needle: where the last search began, and what it found (-1: nothing).
        self.found = {needle: (0, -2) for needle in needles}

    def at(self, start: int) -> int:
        """The position, or ``len(text)`` when there is none."""
        self.budget.charge(1)
        best = len(self.text)
        for needle, (searched_from, position) in self.found.items():
            known = searched_from <= start and (position == -1 or start <= position)
            if not known:
                position = self.text.find(needle, start)
                self.found[needle] = (start, position)
            if position != -1:
                best = min(best, position)
        return best


def is_word(char: str) -> bool:
    """A regular expression's ``\\w``: a letter, a digit or ``_``, in any script."""
    return char.isalnum() or char == "_"

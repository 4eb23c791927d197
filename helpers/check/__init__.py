"""Self-checks for the exercises: call one after an exercise cell for an instant verdict.

    >>> from helpers import check
    >>> check.count_per_digit(count_per_digit)  # doctest: +SKIP
    ✅ Exercise 1.1: Correct. Well done!

Each check tests behaviour (often on fresh data you did not see), so a hard-coded answer
fails; a stub you have not filled in yet answers "not done yet".
"""
from .framework import Hint, run_check

__all__ = ["Hint", "run_check"]

"""The result of a self-check, shown to the student and readable by the grader.

A check returns a :class:`CheckResult`. In a notebook it displays as a coloured line; its
MIME bundle also carries a machine-readable copy under :data:`RESULT_MIMETYPE`, which the
instructor's grader reads from the executed notebook.

    >>> CheckResult("2.1", "pass", "All values are in [0, 1].").passed
    True
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass

RESULT_MIMETYPE = "application/vnd.mnist-course.check+json"
STATUSES = ("pass", "fail", "not_done")

_LOOK = {
    "pass": ("✅", "#e6f4ea", "#137333"),
    "fail": ("❌", "#fce8e6", "#a50e0e"),
    "not_done": ("✏️", "#fef7e0", "#7a5b00"),
}


@dataclass(frozen=True)
class CheckResult:
    """One exercise's verdict: ``status`` is "pass", "fail" or "not_done".

    >>> CheckResult("1.1", "not_done", "Replace the ... with your code.").status
    'not_done'
    """

    exercise: str
    status: str
    message: str

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def __str__(self) -> str:
        icon = _LOOK[self.status][0]
        return f"{icon} Exercise {self.exercise}: {self.message}"

    __repr__ = __str__

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        icon, background, colour = _LOOK[self.status]
        box = (
            f'<div style="background:{background};color:{colour};padding:6px 10px;'
            f'border-radius:4px;font-family:sans-serif">{icon} <b>Exercise '
            f"{html.escape(self.exercise)}</b>: {html.escape(self.message)}</div>"
        )
        return {"text/plain": str(self), "text/html": box, RESULT_MIMETYPE: asdict(self)}

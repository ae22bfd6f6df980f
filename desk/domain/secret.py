"""A secret value that refuses to show itself in reprs, logs or tracebacks."""

from __future__ import annotations

from typing import Final

MASK: Final = "••••"


def mask(value: str, *, keep: int = 4) -> str:
    """Mask a secret for display: only the last ``keep`` characters of long values survive."""
    if len(value) < 12:
        return MASK
    return MASK + value[-keep:]


class Secret:
    """Wraps a plaintext secret. ``str()``/``repr()`` are masked; call :meth:`reveal` to use it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    @property
    def masked(self) -> str:
        return mask(self._value)

    def __repr__(self) -> str:
        return f"Secret({self.masked!r})"

    def __str__(self) -> str:
        return self.masked

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("Secret values cannot be pickled")

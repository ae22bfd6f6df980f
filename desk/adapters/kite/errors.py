"""Turn everything the ``kiteconnect`` client can raise into a ``BrokerError``.

Quirks handled (``protocols/kite.md`` §3): ``MarginException``/``HoldingException``/
``UserException`` arrive as ``GeneralException`` (told apart by message); an error body
without ``error_type`` raises ``TypeError``, one without ``message`` or a response without a
Content-Type raises ``KeyError``; non-dict JSON raises ``AttributeError``; ``requests``
transport errors are re-raised unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import requests
from kiteconnect import exceptions as kex

from desk.domain.broker import (
    BrokerAuthError,
    BrokerDataError,
    BrokerError,
    BrokerInputError,
    BrokerNotFoundError,
    BrokerPermissionError,
    BrokerRateLimitedError,
    BrokerRejectedError,
    BrokerUnavailableError,
)

_MARGIN_WORDS = ("margin", "insufficient funds", "funds")
_HOLDING_WORDS = ("holding", "demat")


def _guess_hidden_type(message: str) -> str:
    low = message.lower()
    if any(w in low for w in _MARGIN_WORDS):
        return "MarginException"
    if any(w in low for w in _HOLDING_WORDS):
        return "HoldingException"
    return "GeneralException"


def translate_kite_exception(
    exc: kex.KiteException, *, operation: str, writes: bool
) -> BrokerError:
    """Map one ``KiteException`` (``.code`` = HTTP status) to a domain error."""
    status = int(getattr(exc, "code", 500) or 500)
    detail = str(exc) or exc.__class__.__name__
    kind = type(exc).__name__
    cls: type[BrokerError] = BrokerError
    message = f"Kite {operation} failed: {detail}"
    retry_safe = outcome_unknown = False
    if status == 429:
        cls, retry_safe = BrokerRateLimitedError, True
        message = f"Kite {operation} rate limited (HTTP 429): {detail}"
    elif isinstance(exc, kex.TokenException):
        cls = BrokerAuthError
        message = f"Kite access token expired or invalid ({detail}); log in to Kite again"
    elif isinstance(exc, kex.PermissionException):
        cls = BrokerPermissionError
    elif status == 404:
        cls = BrokerNotFoundError
    elif isinstance(exc, kex.InputException):
        cls = BrokerInputError
    elif isinstance(exc, kex.OrderException):
        cls, message = BrokerRejectedError, f"Kite rejected the order: {detail}"
    elif isinstance(exc, kex.NetworkException | kex.DataException) or status >= 500:
        cls = BrokerDataError if isinstance(exc, kex.DataException) else BrokerUnavailableError
        retry_safe, outcome_unknown = not writes, writes
        if writes:
            message += " (outcome unknown: reconcile by tag before retrying)"
    elif isinstance(exc, kex.GeneralException):
        kind = _guess_hidden_type(detail)
        if kind != "GeneralException" or writes:
            cls, message = BrokerRejectedError, f"Kite rejected the request: {detail}"
    return cls(
        message,
        retry_safe=retry_safe,
        outcome_unknown=outcome_unknown,
        upstream_type=kind,
        upstream_status=status,
    )


def translate_transport(
    exc: requests.RequestException, *, operation: str, writes: bool
) -> BrokerError:
    """Transport failures: never-sent ones are retry-safe; the rest may have reached Kite."""
    never_sent = isinstance(exc, requests.ConnectTimeout) or (
        isinstance(exc, requests.ConnectionError)
        and not isinstance(exc, requests.ReadTimeout)
        and ("NewConnectionError" in repr(exc) or "Connection refused" in str(exc))
    )
    if never_sent:
        return BrokerUnavailableError(
            f"cannot reach Kite for {operation}: {exc.__class__.__name__}",
            retry_safe=True,
            upstream_type=exc.__class__.__name__,
        )
    return BrokerUnavailableError(
        f"Kite {operation} did not complete ({exc.__class__.__name__}); "
        + ("the outcome is unknown, reconcile before retrying" if writes else "try again"),
        retry_safe=not writes,
        outcome_unknown=writes,
        upstream_type=exc.__class__.__name__,
    )


def translate_malformed(exc: Exception, *, operation: str, writes: bool) -> BrokerError:
    """``TypeError``/``KeyError``/``AttributeError``/``ValueError`` from inside the client."""
    return BrokerDataError(
        f"Kite {operation} returned a malformed response ({exc.__class__.__name__}: {exc})",
        retry_safe=not writes,
        outcome_unknown=writes,
        upstream_type=exc.__class__.__name__,
    )


@contextmanager
def kite_call(
    operation: str, *, writes: bool, on_token_expired: Callable[[], None] | None = None
) -> Iterator[None]:
    """Wrap exactly one ``kiteconnect`` call (and nothing of ours) in this."""
    try:
        yield
    except kex.KiteException as exc:
        err = translate_kite_exception(exc, operation=operation, writes=writes)
        if isinstance(err, BrokerAuthError) and on_token_expired is not None:
            on_token_expired()
        raise err from exc
    except requests.RequestException as exc:
        raise translate_transport(exc, operation=operation, writes=writes) from exc
    except (TypeError, KeyError, AttributeError, ValueError) as exc:
        raise translate_malformed(exc, operation=operation, writes=writes) from exc

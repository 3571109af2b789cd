"""The harvest error tree (DESIGN §8).

::

    HarvestError                    anything that stops a source or a record
    ├── SourceUnavailable           retryable: timeouts, connection errors, 5xx, 429
    │   └── StreamBrokenOff         a document's body broke off midway: read it again
    ├── SourceProtocolError         the source answered, but not as its API promises:
    │                               HTML instead of JSON, CKAN ``success: false``, bad payload
    ├── SourceForbidden             we refuse to go there: SSRF guard, size caps, page caps
    ├── RecordInvalid               one record cannot be mapped (fails alone)
    └── RecordSkipped               one record is deliberately left out (private, deleted…)

``str(error)`` is the short message for the publisher; ``error.detail`` carries what an
engineer needs (status, excerpt of the body, traceback text).
"""

from __future__ import annotations


class HarvestError(Exception):
    """Base of every harvest error. ``message`` is short and actionable."""

    def __init__(self, message: str, *, detail: str | None = None, url: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.url = url


class SourceUnavailable(HarvestError):
    """The source did not answer usefully right now; trying later may work."""

    def __init__(
        self,
        message: str,
        *,
        detail: str | None = None,
        url: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, detail=detail, url=url)
        self.status = status
        self.retry_after = retry_after


class StreamBrokenOff(SourceUnavailable):
    """A streamed document's body broke off once it had started (connection lost, read timed
    out): reading the document again from its start may work."""


class SourceProtocolError(HarvestError):
    """The source answered with something its API does not allow."""


class SourceForbidden(HarvestError):
    """Moisson refuses the request: private address, too large, too many pages."""


class RecordInvalid(HarvestError):
    """One record cannot be normalized; the rest of the run goes on."""


class RecordSkipped(HarvestError):
    """One record is intentionally not harvested (private, deleted, not a dataset)."""


class UnknownPlatform(ValueError):
    """A platform name no connector is registered for."""

    def __init__(self, platform: str, known: list[str]) -> None:
        super().__init__(
            f"unknown platform {platform!r}; valid platforms: {', '.join(sorted(known))}"
        )
        self.platform = platform
        self.known = known

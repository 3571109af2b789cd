"""The typed shape of ``config/sources.toml``: partners, sources and action-plan targets.

These models check each value on its own (types, slugs, URLs, schedules, dates, shares).
Checks that need the whole file — partner references, duplicates, platforms and connector
options — live in :mod:`harvester.config_check`.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    model_validator,
)

from catalog.model import PartnerKind
from connectors.base import SourceSpec

DEFAULT_SCHEDULE = "1d"
"""A source without ``schedule`` is harvested once a day."""

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
_INTERVAL = re.compile(r"^(\d+)([mhdw])$")
_INTERVAL_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
# (name, lowest, highest, names mapped to numbers)
_CRON_FIELDS: list[tuple[str, int, int, dict[str, int]]] = [
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {name: number for number, name in enumerate(_MONTHS, start=1)}),
    ("day of week", 0, 7, {name: number for number, name in enumerate(_DAYS)}),
]


# --- schedules -----------------------------------------------------------------------------


def parse_interval(text: str) -> timedelta | None:
    """``"30m"``, ``"6h"``, ``"1d"``, ``"2w"`` → a timedelta; ``None`` if ``text`` is not one."""
    match = _INTERVAL.match(text.strip())
    if not match:
        return None
    return timedelta(**{_INTERVAL_UNITS[match.group(2)]: int(match.group(1))})


def _cron_value(token: str, field: str, low: int, high: int, names: dict[str, int]) -> int:
    value = names.get(token.lower()) if not token.isdigit() else int(token)
    if value is None:
        raise ValueError(f"{field}: {token!r} is not a number" + (" or a name" if names else ""))
    if not low <= value <= high:
        raise ValueError(f"{field}: {value} is out of range {low}-{high}")
    return value


def _check_cron_field(text: str, field: str, low: int, high: int, names: dict[str, int]) -> None:
    for item in text.split(","):
        span, _, step = item.partition("/")
        if step and (not step.isdigit() or int(step) == 0):
            raise ValueError(f"{field}: step {step!r} must be a positive number")
        if span == "*":
            continue
        if not span:
            raise ValueError(f"{field}: empty item in {text!r}")
        first, dash, last = span.partition("-")
        start = _cron_value(first, field, low, high, names)
        if dash:
            end = _cron_value(last, field, low, high, names)
            if end < start:
                raise ValueError(f"{field}: range {span!r} runs backwards")
        elif step:
            raise ValueError(f"{field}: a step needs '*' or a range, not {item!r}")


def validate_cron(text: str) -> str:
    """Check a 5-field crontab expression (lists, ranges, steps, month/day names)."""
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(f"a cron expression has 5 fields, {text!r} has {len(fields)}")
    for value, (name, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        _check_cron_field(value, name, low, high, names)
    return " ".join(fields)


def validate_schedule(text: str) -> str:
    """A cron expression (``"0 3 * * *"``) or an interval (``"30m"``, ``"6h"``, ``"1d"``)."""
    text = text.strip()
    hint = "use a 5-field cron like '0 3 * * *' or an interval like '30m', '6h', '1d'"
    if " " not in text:
        interval = parse_interval(text)
        if interval is None or interval < timedelta(minutes=1):
            raise ValueError(f"bad schedule {text!r}: {hint}")
        return text
    try:
        return validate_cron(text)
    except ValueError as error:
        raise ValueError(f"bad schedule {text!r}: {error} ({hint})") from None


# --- small value types ---------------------------------------------------------------------


def _slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(f"{value!r} is not a slug (lowercase letters, digits and '-')")
    return value


def _http_url(value: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"{value!r} is not an http(s) URL")
    if not parts.hostname:
        raise ValueError(f"{value!r} has no host")
    return value.strip()


def _toml_date(value: Any) -> Any:
    if isinstance(value, datetime):
        raise ValueError(f"expected a date like 2019-03-31, not a date-time ({value})")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"bad date {value!r} (expected YYYY-MM-DD)") from None
    raise ValueError(f"expected a date like 2019-03-31, got {type(value).__name__} {value!r}")


def _share(value: float) -> float:
    if not 0 <= value <= 1:
        hint = f" (write {value:g} % as {value / 100:g})" if 1 < value <= 100 else ""
        raise ValueError(f"a share is a fraction between 0 and 1, got {value:g}{hint}")
    return value


Slug = Annotated[StrictStr, AfterValidator(_slug)]
HttpUrl = Annotated[StrictStr, AfterValidator(_http_url)]
Schedule = Annotated[StrictStr, AfterValidator(validate_schedule)]
TomlDate = Annotated[date, BeforeValidator(_toml_date)]
Share = Annotated[float, Field(strict=True), AfterValidator(_share)]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- partners and sources ------------------------------------------------------------------


class PartnerConfig(_Table):
    """One ``[[partners]]`` entry: an organization of the partnership."""

    id: Slug
    name: Annotated[StrictStr, Field(min_length=1)]
    kind: PartnerKind
    region: StrictStr
    joined_at: TomlDate
    website: HttpUrl | None = None


class SourceConfig(_Table):
    """One ``[[sources]]`` entry: a remote catalogue owned by a partner."""

    id: Slug
    partner: Slug
    platform: StrictStr
    url: HttpUrl
    schedule: Schedule = DEFAULT_SCHEDULE
    enabled: StrictBool = True
    options: dict[str, Any] = Field(default_factory=dict)

    def spec(self, partner: PartnerConfig | None = None) -> SourceSpec:
        """What a connector needs to harvest this source."""
        return SourceSpec(
            id=self.id,
            url=self.url,
            platform=self.platform,
            options=self.options,
            partner_name=partner.name if partner else None,
            partner_kind=partner.kind if partner else None,
        )


# --- targets -------------------------------------------------------------------------------


class PartnerTarget(_Table):
    """``[[targets.partners]]``: every partner of a kind, or N more than at the baseline."""

    kind: PartnerKind
    all: StrictBool = False
    additional: Annotated[StrictInt, Field(ge=1)] | None = None
    deadline: TomlDate

    @model_validator(mode="after")
    def _one_goal(self) -> PartnerTarget:
        if self.all == (self.additional is not None):
            raise ValueError("give either 'all = true' or 'additional = N', not both or neither")
        return self


class CountTarget(_Table):
    """A number of new things (datasets) published between the baseline and the deadline."""

    count: Annotated[StrictInt, Field(ge=1)]
    deadline: TomlDate


class ShareTarget(_Table):
    """A share (0–1) of new publications meeting a criterion by the deadline."""

    share: Share
    deadline: TomlDate


class TargetsConfig(_Table):
    """``[targets]``: the action plan's goals, measured from ``baseline``."""

    baseline: TomlDate
    partners: list[PartnerTarget] = Field(default_factory=list)
    new_datasets: CountTarget | None = None
    conformity: ShareTarget | None = None
    csv_api: ShareTarget | None = None


class MoissonConfig(_Table):
    """The whole of ``config/sources.toml``."""

    partners: list[PartnerConfig] = Field(default_factory=list)
    sources: list[SourceConfig] = Field(default_factory=list)
    targets: TargetsConfig | None = None

    def partner(self, partner_id: str) -> PartnerConfig | None:
        """The partner with this id, if any."""
        return next((p for p in self.partners if p.id == partner_id), None)

    def source(self, source_id: str) -> SourceConfig | None:
        """The source with this id, if any."""
        return next((s for s in self.sources if s.id == source_id), None)

    def source_spec(self, source_id: str) -> SourceSpec:
        """The connector spec of one source; ``KeyError`` if there is no such source."""
        source = self.source(source_id)
        if source is None:
            raise KeyError(source_id)
        return source.spec(self.partner(source.partner))

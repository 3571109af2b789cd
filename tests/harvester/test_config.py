"""config/sources.toml: the shipped file loads; bad files report every problem on its line."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel, ConfigDict

from catalog.model import PartnerKind
from connectors import registry
from harvester.config import (
    ConfigError,
    ConfigProblem,
    check_config,
    format_problems,
    load_config,
    parse_interval,
    validate_schedule,
)
from tests.paths import REPO

SHIPPED = REPO / "config" / "sources.toml"

PARTNER = """
[[partners]]
id = "ville-a"
name = "Ville A"
kind = "municipality"
region = "Estrie (05)"
joined_at = 2016-04-05
"""


class _FakeCkanOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    organization: str | None = None
    rows: int = 100


class _FakeCkan:
    platform: ClassVar[str] = "ckan"
    Options: ClassVar[type[BaseModel]] = _FakeCkanOptions


@pytest.fixture
def only_ckan(monkeypatch: pytest.MonkeyPatch) -> None:
    """A registry holding just a fake CKAN connector (independent of what is installed)."""
    monkeypatch.setattr(registry, "connectors", lambda: {"ckan": _FakeCkan})


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str, start: int = 1) -> int:
    """1-based number of the first line at or after ``start`` containing ``needle``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if number >= start and needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def errors(problems: list[ConfigProblem]) -> list[ConfigProblem]:
    return [p for p in problems if p.severity == "error"]


def find(problems: list[ConfigProblem], fragment: str) -> ConfigProblem:
    matches = [p for p in problems if fragment in p.message]
    assert len(matches) == 1, f"{fragment!r} in {[p.message for p in problems]}"
    return matches[0]


# --- the shipped file ----------------------------------------------------------------------


def test_shipped_config_has_no_errors() -> None:
    problems = check_config(SHIPPED)
    assert errors(problems) == [], format_problems(problems)
    config = load_config(SHIPPED)
    ids = {p.id for p in config.partners}
    assert {"ville-de-montreal", "ville-de-quebec", "ville-de-gatineau"} <= ids
    assert {"ville-de-laval", "ville-de-sherbrooke", "gouvernement-du-quebec"} <= ids
    portal = config.source("donnees-quebec")
    assert portal is not None
    assert portal.platform == "ckan"
    assert portal.url == "https://www.donneesquebec.ca/recherche"
    laval = config.source("laval")
    assert laval is not None and laval.options == {"organization": "ville-de-laval"}


def test_shipped_targets_are_typed() -> None:
    targets = load_config(SHIPPED).targets
    assert targets is not None
    assert targets.baseline == date(2018, 4, 1)
    by_kind = {t.kind: t for t in targets.partners}
    assert by_kind[PartnerKind.ministry].all is True
    assert by_kind[PartnerKind.ministry].deadline == date(2019, 3, 31)
    assert by_kind[PartnerKind.municipality].additional == 20
    assert by_kind[PartnerKind.public_body].additional == 20
    assert by_kind[PartnerKind.civil_society].additional == 6
    assert targets.new_datasets is not None and targets.new_datasets.count == 150
    assert targets.conformity is not None and targets.conformity.share == 0.8
    assert targets.conformity.deadline == date(2019, 3, 31)
    assert targets.csv_api is not None and targets.csv_api.share == 0.8
    assert targets.csv_api.deadline == date(2020, 3, 31)


def test_source_spec_carries_partner() -> None:
    spec = load_config(SHIPPED).source_spec("quebec")
    assert spec.options == {"organization": "ville-de-quebec"}
    assert spec.partner_kind is PartnerKind.municipality
    assert spec.partner_name == "Ville de Québec"


# --- a bad file: every problem, each on its line -------------------------------------------

BAD = (
    PARTNER
    + """
[[partners]]
id = "ville-b"
name = "Ville B"
kind = "city"
region = "Laval (13)"
joined_at = "mars 2016"

[[partners]]
id = "ville-a"
name = "Ville A bis"
kind = "other"
region = "x"
joined_at = 2017-01-01

[[sources]]
id = "a"
partner = "ville-a"
platform = "ckan"
url = "https://portal.example.org"
shedule = "1d"

[[sources]]
id = "b"
partner = "ville-z"
platform = "carto"
url = "ftp://files.example.org"
schedule = "0 25 * * *"
enabled = "yes"

[[sources]]
id = "a"
partner = "ville-a"
platform = "ckan"
url = "https://portal.example.org/"

[[sources]]
id = "e"
partner = "ville-a"
platform = "ckan"
url = "https://e.example.org"
options = { organisation = "x" }

[[sources]]
id = "c"
partner = "ville-a"
platform = "arcgis"
url = "https://hub.example.org"

[[sources]]
id = "d"
platform = "ckan"
url = "https://d.example.org"
options = { organization = "d", rows = "many" }

[targets]
baseline = 2018-04-01

[[targets.partners]]
kind = "municipality"
additional = 20
all = true
deadline = 2020-03-31

[targets.conformity]
share = 80
deadline = 2017-03-31
"""
)


@pytest.mark.usefixtures("only_ckan")
def test_bad_file_reports_every_problem_on_its_line(tmp_path: Path) -> None:
    problems = check_config(write(tmp_path, BAD))
    b_source = line_of(BAD, 'id = "b"')
    second_a = line_of(BAD, 'id = "a"', start=b_source)
    expected = {
        "unknown partner kind 'city'": line_of(BAD, 'kind = "city"'),
        "bad date 'mars 2016'": line_of(BAD, 'joined_at = "mars'),
        "duplicate partner id 'ville-a'": line_of(BAD, 'id = "ville-a"', start=5),
        "unknown key 'shedule'": line_of(BAD, "shedule"),
        "unknown partner 'ville-z'": line_of(BAD, "ville-z"),
        "unknown platform 'carto'": line_of(BAD, "carto"),
        "'ftp://files.example.org' is not an http(s) URL": line_of(BAD, "ftp://"),
        "bad schedule '0 25 * * *'": line_of(BAD, "0 25"),
        "'enabled' must be true or false": line_of(BAD, '"yes"'),
        "duplicate source id 'a'": second_a,
        "duplicate source URL": line_of(BAD, "portal.example.org/"),
        "ckan option unknown key 'organisation' in source 'e' options": line_of(
            BAD, "organisation"
        ),
        # a missing key is reported on its table's header
        "missing required key 'partner' in source 'd'": line_of(BAD, 'id = "d"') - 1,
        "ckan option 'rows': Input should be a valid integer": line_of(BAD, '"many"'),
        "either 'all = true' or 'additional = N'": line_of(BAD, "[[targets.partners]]"),
        "a share is a fraction between 0 and 1, got 80": line_of(BAD, "share = 80"),
        "deadline 2017-03-31 is not after the baseline 2018-04-01": line_of(BAD, "2017-03-31"),
    }
    for fragment, line in expected.items():
        problem = find(problems, fragment)
        assert problem.severity == "error", fragment
        assert problem.line == line, f"{fragment}: line {problem.line}, expected {line}"
        assert problem.context == BAD.splitlines()[line - 1].strip()
    warning = find(problems, "no connector installed yet for platform 'arcgis'")
    assert warning.severity == "warning"
    assert len(errors(problems)) == len(expected)
    assert [p.line for p in problems] == sorted(p.line or 0 for p in problems)


@pytest.mark.usefixtures("only_ckan")
def test_messages_list_the_valid_choices(tmp_path: Path) -> None:
    problems = check_config(write(tmp_path, BAD))
    kind = find(problems, "unknown partner kind")
    assert "municipality, ministry, public_body, civil_society, other" in kind.message
    platform = find(problems, "unknown platform")
    for name in ("ckan", "socrata", "arcgis", "dcat_rdf", "dcat_us", "opendatasoft", "auto"):
        assert name in platform.message
    assert "did you mean 'schedule'" in find(problems, "'shedule'").message
    assert "(write 80 % as 0.8)" in find(problems, "a share is").message
    option = find(problems, "'organisation'").message
    assert "did you mean 'organization'? valid: organization, rows" in option


@pytest.mark.usefixtures("only_ckan")
def test_load_config_raises_with_all_problems(tmp_path: Path) -> None:
    path = write(tmp_path, BAD)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.problems == check_config(path)
    text = str(caught.value)
    assert "unknown partner kind 'city'" in text
    assert "bad schedule '0 25 * * *'" in text


def test_format_problems_shows_file_line_and_context(tmp_path: Path) -> None:
    path = write(tmp_path, PARTNER.replace('"municipality"', '"city"'))
    text = format_problems(check_config(path))
    line = line_of(PARTNER, "kind =")
    assert text.startswith(f"{path}:{line}: error: unknown partner kind 'city' (valid: ")
    assert text.endswith('\n    kind = "city"')


# --- syntax, warnings, shares --------------------------------------------------------------


def test_toml_syntax_error_has_its_line(tmp_path: Path) -> None:
    text = PARTNER + '\n[[sources]]\nid = "x"\nurl = \n'
    problems = check_config(write(tmp_path, text))
    assert len(problems) == 1
    problem = problems[0]
    assert problem.message.startswith("TOML syntax error: ")
    assert problem.line == line_of(text, "url =")
    assert problem.context == "url ="
    assert problem.file == str(tmp_path / "sources.toml"), "the file is named, not <config>"
    with pytest.raises(ConfigError, match="TOML syntax error"):
        load_config(tmp_path / "sources.toml")


def test_unreadable_file_is_a_problem(tmp_path: Path) -> None:
    problems = check_config(tmp_path / "missing.toml")
    assert len(problems) == 1 and problems[0].line is None
    assert "cannot read config file" in problems[0].message


@pytest.mark.usefixtures("only_ckan")
def test_warnings_do_not_fail_loading(tmp_path: Path) -> None:
    text = PARTNER + (
        '\n[[sources]]\nid = "hub"\npartner = "ville-a"\nplatform = "socrata"\n'
        'url = "https://data.example.org"\n'
    )
    path = write(tmp_path, text)
    problems = check_config(path)
    assert [(p.severity, p.message) for p in problems] == [
        ("warning", "no connector installed yet for platform 'socrata'")
    ]
    config = load_config(path)
    source = config.sources[0]
    assert source.schedule == "1d" and source.enabled is True and source.options == {}


@pytest.mark.parametrize(
    ("share", "ok"),
    [(0.8, True), (1, True), (0, True), (80, False), (1.5, False), (-0.1, False), ('"0.8"', False)],
)
def test_share_must_be_a_fraction(tmp_path: Path, share: Any, ok: bool) -> None:
    text = "[targets]\nbaseline = 2018-04-01\n[targets.csv_api]\n"
    text += f"share = {share}\ndeadline = 2020-03-31\n"
    problems = check_config(write(tmp_path, text))
    if ok:
        assert problems == []
        targets = load_config(tmp_path / "sources.toml").targets
        assert targets is not None and targets.csv_api is not None
        assert targets.csv_api.share == float(share)
    else:
        assert [p.line for p in problems] == [4]


def test_datetime_is_not_a_date(tmp_path: Path) -> None:
    text = PARTNER.replace("2016-04-05", "2016-04-05T10:00:00")
    problem = find(check_config(write(tmp_path, text)), "not a date-time")
    assert problem.line == line_of(text, "joined_at")


def test_subtable_options_are_located(tmp_path: Path, only_ckan: None) -> None:
    text = PARTNER + (
        '\n[[sources]]\nid = "s"\npartner = "ville-a"\nplatform = "ckan"\n'
        'url = "https://s.example.org"\n\n[sources.options]\norganization = "o"\nrows = "x"\n'
    )
    problem = find(check_config(write(tmp_path, text)), "option 'rows'")
    assert problem.line == line_of(text, 'rows = "x"')


def test_broken_connector_is_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "connectors", dict)
    monkeypatch.setattr(
        registry, "unavailable", lambda: {"ckan": "ModuleNotFoundError: connectors.nowhere"}
    )
    text = PARTNER + (
        '\n[[sources]]\nid = "s"\npartner = "ville-a"\nplatform = "ckan"\n'
        'url = "https://s.example.org"\n'
    )
    (problem,) = check_config(write(tmp_path, text))
    assert problem.severity == "warning"
    assert "connector for platform 'ckan' failed to load" in problem.message
    assert problem.line == line_of(text, "platform =")


def test_locator_skips_multiline_strings_and_reads_quoted_keys(tmp_path: Path) -> None:
    text = (
        PARTNER.replace('name = "Ville A"', 'name = """Ville A\nkind = "fake"\n"""').replace(
            '"municipality"', '"town"'
        )
        + '\n[[partners]]\n"id" = "ville-b"\nname = "B"\n"kind" = "village"\nregion = "r"\n'
        "joined_at = 2017-01-01\n"
    )
    problems = check_config(write(tmp_path, text))
    assert find(problems, "'town'").line == line_of(text, 'kind = "town"')
    assert find(problems, "'village'").line == line_of(text, '"kind" = "village"')


# --- schedules -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "schedule",
    [
        "0 3 * * *",
        "*/15 * * * *",
        "0 6,18 * * mon-fri",
        "30 2 1 jan,jul *",
        "0 0-23/2 * * 0",
        "5 4 * * 7",
        "6h",
        "30m",
        "1d",
        "2w",
    ],
)
def test_valid_schedules(schedule: str) -> None:
    assert validate_schedule(schedule) == schedule


@pytest.mark.parametrize(
    ("schedule", "reason"),
    [
        ("0 3 * *", "5 fields"),
        ("60 3 * * *", "minute: 60 is out of range 0-59"),
        ("0 24 * * *", "hour: 24 is out of range 0-23"),
        ("0 3 0 * *", "day of month: 0 is out of range 1-31"),
        ("0 3 * 13 *", "month: 13 is out of range 1-12"),
        ("0 3 * * 8", "day of week: 8 is out of range 0-7"),
        ("*/0 * * * *", "step '0' must be a positive number"),
        ("0 5-2 * * *", "runs backwards"),
        ("0 3 * * funday", "'funday' is not a number or a name"),
        ("0 mon * * *", "hour: 'mon' is not a number"),
        ("0 3,,4 * * *", "empty item"),
        ("6x", "bad schedule '6x'"),
        ("0m", "bad schedule '0m'"),
        ("daily", "bad schedule 'daily'"),
    ],
)
def test_invalid_schedules(schedule: str, reason: str) -> None:
    with pytest.raises(ValueError, match="bad schedule") as caught:
        validate_schedule(schedule)
    assert reason in str(caught.value)


def test_parse_interval() -> None:
    assert parse_interval("6h") == timedelta(hours=6)
    assert parse_interval("90m") == timedelta(minutes=90)
    assert parse_interval("0 3 * * *") is None

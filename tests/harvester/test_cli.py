"""The ``moisson`` command line, end to end on SQLite and PostgreSQL (no internet:
the CKAN portal is a loopback server replaying a real recorded ``package_search``)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from typer.testing import CliRunner, Result

from harvester import cli
from harvester.cli import app
from harvester.settings import get_settings
from harvester.store.db import create_engine
from harvester.store.migrate import alembic_config
from tests.paths import fixture

RECORDED = ("ckan", "ridl-unhcr_package_search_start0_rows5.json")

CONFIG = """
[[partners]]
id = "unhcr"
name = "UNHCR"
kind = "other"
region = "Monde"
joined_at = 2020-01-01

[[sources]]
id = "ridl"
partner = "unhcr"
platform = "ckan"
url = "{url}"
options = {{ rows = 2 }}
"""

BAD_CONFIG = """
[[partners]]
id = "Bad Id"
name = "X"
kind = "city"
region = "R"
joined_at = "2020-13-01"

[[sources]]
id = "s"
partner = "nobody"
platform = "kcan"
url = "ftp://example.org"
schedule = "every day"
"""


class CkanReplay(BaseHTTPRequestHandler):
    """A tiny CKAN: ``status_show`` and ``package_search`` paging over recorded packages."""

    packages: ClassVar[list[dict[str, Any]]] = []

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/api/3/action/status_show":
            self._json({"success": True, "result": {"ckan_version": "2.9.5", "site_title": "T"}})
        elif parts.path == "/api/3/action/package_search":
            start, rows = int(query.get("start", 0)), int(query.get("rows", 10))
            page = self.packages[start : start + rows]
            result = {"count": len(self.packages), "results": page}
            self._json({"help": "", "success": True, "result": result})
        else:
            self.send_error(404)

    def _json(self, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def portal() -> Iterator[str]:
    """Base URL of the loopback CKAN replaying the recorded packages."""
    recorded = json.loads(fixture(*RECORDED).read_text(encoding="utf-8"))
    CkanReplay.packages = recorded["result"]["results"]
    server = ThreadingHTTPServer(("127.0.0.1", 0), CkanReplay)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def env(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Any]]:
    """MOISSON_* pointing at the test database and a (not yet written) sources.toml."""
    config = tmp_path / "sources.toml"
    monkeypatch.setenv("MOISSON_DATABASE_URL", database_url)
    monkeypatch.setenv("MOISSON_CONFIG", str(config))
    monkeypatch.delenv("MOISSON_SSRF_ALLOW", raising=False)
    monkeypatch.delenv("MOISSON_SCHEDULER", raising=False)
    monkeypatch.setenv("COLUMNS", "250")
    get_settings.cache_clear()
    yield {"config": config, "database_url": database_url}
    get_settings.cache_clear()


def invoke(*args: str) -> Result:
    get_settings.cache_clear()
    return CliRunner().invoke(app, list(args))


def _scalar(database_url: str, statement: str) -> Any:
    async def query() -> Any:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as connection:
                return await connection.scalar(sa.text(statement))
        finally:
            await engine.dispose()

    return asyncio.run(query())


def _one_line_error(result: Result, code: int, *fragments: str) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


# --- sources -------------------------------------------------------------------------------


def test_sources_add_then_list(env: dict[str, Any]) -> None:
    added = invoke(
        "sources", "add", "https://donnees.example.org/",
        "--partner", "Ville de Saint-Jérôme", "--kind", "municipality", "--platform", "ckan",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "Added source ville-de-saint-jerome (ckan" in added.stdout
    listed = invoke("sources", "list")
    assert listed.exit_code == 0, listed.output
    row = next(line for line in listed.stdout.splitlines() if "ville-de-saint-jerome" in line)
    for cell in ("Ville de Saint-Jérôme", "municipality", "ckan", "approved", "donnees.example"):
        assert cell in row
    assert row.rstrip(" │|").endswith("0")


def test_sources_list_empty(env: dict[str, Any]) -> None:
    result = invoke("sources", "list")
    assert result.exit_code == 0
    assert "No sources yet" in result.stdout


def test_duplicate_url_refused_with_existing_id(env: dict[str, Any]) -> None:
    args = ["--partner", "Ville de Laval", "--kind", "municipality", "--platform", "ckan"]
    assert (
        invoke("sources", "add", "https://data.laval.example", "--id", "laval", *args).exit_code
        == 0
    )
    again = invoke("sources", "add", "HTTPS://Data.Laval.example/", "--partner", "Autre", *args[2:])
    _one_line_error(again, 1, "already registered as source 'laval'")
    assert _scalar(env["database_url"], "SELECT count(*) FROM source") == 1


@pytest.mark.parametrize("url", ["http://10.0.0.1/", "http://127.0.0.1/", "http://127.0.0.1:9/x"])
def test_private_url_refused(env: dict[str, Any], url: str) -> None:
    result = invoke("sources", "add", url, "--partner", "P", "--kind", "other")
    _one_line_error(result, 1, "private or reserved address")
    assert _scalar(env["database_url"], "SELECT count(*) FROM source") == 0


def test_unknown_platform_lists_valid_ones(env: dict[str, Any]) -> None:
    result = invoke(
        "sources", "add", "https://x.example.org", "--partner", "P", "--kind", "other",
        "--platform", "kcan",
    )  # fmt: skip
    _one_line_error(result, 1, "unknown platform 'kcan'", "ckan")


def test_bad_kind_is_a_usage_error(env: dict[str, Any]) -> None:
    result = invoke("sources", "add", "https://x.example.org", "--partner", "P", "--kind", "city")
    assert result.exit_code == 2
    assert "municipality" in result.output


def test_add_auto_probes_the_portal(
    env: dict[str, Any], portal: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOISSON_SSRF_ALLOW", "127.0.0.1")
    result = invoke("sources", "add", portal, "--partner", "UNHCR", "--kind", "other", "--id", "u")
    assert result.exit_code == 0, result.output
    assert "Added source u (ckan" in result.stdout


# --- config check --------------------------------------------------------------------------


def test_config_check_ok(env: dict[str, Any]) -> None:
    env["config"].write_text(CONFIG.format(url="https://ridl.example.org"), encoding="utf-8")
    result = invoke("config", "check")
    assert result.exit_code == 0, result.output
    assert f"{env['config']}: OK (1 partners, 1 sources)" in result.stdout


def test_config_check_reports_every_problem(env: dict[str, Any], tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(BAD_CONFIG, encoding="utf-8")
    result = invoke("config", "check", "--file", str(bad))
    assert result.exit_code == 1
    problems = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(problems) >= 5, result.stderr
    for fragment in ("'city'", "kcan", "every day", "nobody"):
        assert fragment in result.stderr
    assert "Traceback" not in result.output


def test_config_check_warnings_alone_pass(
    env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from connectors import registry

    loaded = {k: v for k, v in registry.connectors().items() if k != "socrata"}
    monkeypatch.setattr(registry, "connectors", lambda: loaded)
    monkeypatch.setattr(registry, "unavailable", lambda: {"socrata": "ImportError: boom"})
    text = CONFIG.format(url="https://x.example.org").replace('"ckan"', '"socrata"')
    env["config"].write_text(text.replace("options = { rows = 2 }", ""), encoding="utf-8")
    result = invoke("config", "check")
    assert result.exit_code == 0, result.output
    assert "warning" in result.stderr and "OK (1 partners, 1 sources)" in result.stdout
    assert "failed to load (ImportError: boom)" in result.stderr


def test_config_check_missing_file(env: dict[str, Any], tmp_path: Path) -> None:
    result = invoke("config", "check", "--file", str(tmp_path / "nope.toml"))
    _one_line_error(result, 1, "cannot read config file")


# --- db, serve -----------------------------------------------------------------------------


def test_db_upgrade_prints_revision(env: dict[str, Any]) -> None:
    result = invoke("db", "upgrade")
    assert result.exit_code == 0, result.output
    printed = {word.strip(",") for word in result.stdout.rsplit("at revision ", 1)[1].split()}
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert printed == set(script.get_heads()), result.stdout  # every head is listed
    assert len(printed) >= 2  # parallel branches: a single head would hide the listing


def test_unreachable_database_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOISSON_DATABASE_URL", "postgresql+asyncpg://u:secret@127.0.0.1:1/none")
    monkeypatch.setenv("MOISSON_CONFIG", str(tmp_path / "none.toml"))
    try:
        for args in (["db", "upgrade"], ["sources", "list"], ["runs", "x"]):
            result = invoke(*args)
            _one_line_error(result, 1, "cannot open the database")
            assert "secret" not in result.output
    finally:
        get_settings.cache_clear()


def test_serve_migrates_syncs_and_starts_uvicorn(
    env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    logging_setups: list[tuple[str, str]] = []
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: calls.append((a, k)))
    monkeypatch.setattr(cli, "configure_logging", lambda *a: logging_setups.append(a))
    monkeypatch.setenv("MOISSON_LOG_FORMAT", "json")
    env["config"].write_text(CONFIG.format(url="https://ridl.example.org"), encoding="utf-8")
    result = invoke("serve", "--port", "8123", "--no-scheduler")
    assert result.exit_code == 0, result.output
    assert calls == [
        (
            (cli.APP_FACTORY,),
            {
                "factory": True,
                "host": "127.0.0.1",
                "port": 8123,
                "reload": False,
                "log_config": None,  # uvicorn's records go through our structured logs
            },
        )
    ]
    assert logging_setups == [("json", "INFO")]
    assert _scalar(env["database_url"], "SELECT url FROM source WHERE id = 'ridl'") == (
        "https://ridl.example.org"
    )
    assert "sources: 1 added" in result.stderr


def test_serve_refuses_a_bad_config(env: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: calls.append(a))
    env["config"].write_text(BAD_CONFIG, encoding="utf-8")
    result = invoke("serve")
    _one_line_error(result, 1, "has errors", "kcan")
    assert calls == []


# --- harvest and runs ----------------------------------------------------------------------


@pytest.mark.parametrize("command", ["harvest", "runs"])
def test_unknown_source_exits_2(env: dict[str, Any], command: str) -> None:
    result = invoke(command, "nope")
    _one_line_error(result, 2, "no source with id 'nope'")


def _summary(result: Result) -> dict[str, str]:
    """The counters of the summary table, by column name."""
    lines = [line for line in result.stdout.splitlines() if "│" in line or "┃" in line]
    header = [cell.strip() for cell in lines[0].strip("┃ ").split("┃")]
    values = [cell.strip() for cell in lines[1].strip("│ ").split("│")]
    return dict(zip(header, values, strict=True))


def test_harvest_end_to_end(
    env: dict[str, Any], portal: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOISSON_SSRF_ALLOW", "127.0.0.1")
    env["config"].write_text(CONFIG.format(url=portal), encoding="utf-8")
    packages = len(CkanReplay.packages)

    first = invoke("harvest", "ridl")
    assert first.exit_code == 0, first.output
    summary = _summary(first)
    assert summary["status"] == "succeeded"
    assert (summary["seen"], summary["added"], summary["updated"]) == (
        str(packages),
        str(packages),
        "0",
    )
    assert (summary["failed"], summary["pages"]) == ("0", "3")
    url = env["database_url"]
    assert _scalar(url, "SELECT count(*) FROM dataset WHERE source_id = 'ridl'") == packages
    titles = _scalar(url, "SELECT count(DISTINCT title) FROM dataset")
    assert titles == packages

    second = invoke("harvest", "ridl")
    assert second.exit_code == 0, second.output
    again = _summary(second)
    assert (again["status"], again["added"], again["updated"]) == ("succeeded", "0", "0")
    assert again["unchanged"] == str(packages)
    assert _scalar(url, "SELECT count(*) FROM dataset") == packages

    runs = invoke("runs", "ridl", "--limit", "5")
    assert runs.exit_code == 0, runs.output
    assert runs.stdout.count("succeeded") == 2


def test_harvest_failure_exits_1(env: dict[str, Any], portal: str) -> None:
    # Without MOISSON_SSRF_ALLOW the guard refuses the loopback portal: the run fails.
    env["config"].write_text(CONFIG.format(url=portal), encoding="utf-8")
    result = invoke("harvest", "ridl")
    assert result.exit_code == 1, result.output
    assert _summary(result)["status"] == "failed"
    assert "SourceForbidden" in result.stdout and "private or reserved" in result.stdout
    assert _scalar(env["database_url"], "SELECT count(*) FROM dataset") == 0


def test_tokens_create_list_revoke(env: dict[str, Any]) -> None:
    created = invoke("tokens", "create", "--role", "operator", "--name", "ops")
    assert created.exit_code == 0, created.output
    assert "moi_" in created.stdout
    listed = invoke("tokens", "list")
    assert listed.exit_code == 0 and "ops" in listed.stdout
    assert "moi_" in listed.stdout and created.stdout.split("moi_")[1][:20] not in listed.stdout
    revoked = invoke("tokens", "revoke", "1")
    assert revoked.exit_code == 0 and "revoked" in revoked.stdout
    missing = invoke("tokens", "revoke", "99")
    assert missing.exit_code == 2 and "no token with id 99" in missing.stderr


def test_partner_token_needs_a_partner(env: dict[str, Any]) -> None:
    result = invoke("tokens", "create", "--role", "partner")
    assert result.exit_code == 1 and "needs --partner" in result.stderr


def test_confirmed_withdrawals_recount_the_facet_totals(
    env: dict[str, Any], portal: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOISSON_SSRF_ALLOW", "127.0.0.1")
    env["config"].write_text(CONFIG.format(url=portal), encoding="utf-8")
    url, everything = env["database_url"], list(CkanReplay.packages)
    totals = "SELECT n FROM facet_total WHERE facet = 'source' AND value = 'ridl'"
    assert invoke("harvest", "ridl", "--full").exit_code == 0
    assert _scalar(url, totals) == len(everything)
    monkeypatch.setattr(CkanReplay, "packages", everything[:1])
    held = invoke("harvest", "ridl", "--full")
    assert held.exit_code == 0, held.output
    run_id = _scalar(url, "SELECT max(id) FROM harvest_run")
    assert _scalar(url, totals) == len(everything), "held: nothing withdrawn yet"

    confirmed = invoke("withdrawals", "confirm", str(run_id))
    assert confirmed.exit_code == 0, confirmed.output
    assert f"{len(everything) - 1} dataset(s) withdrawn" in confirmed.stdout
    assert _scalar(url, totals) == 1


def test_withdrawals_list_and_discard(
    env: dict[str, Any], portal: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOISSON_SSRF_ALLOW", "127.0.0.1")
    env["config"].write_text(CONFIG.format(url=portal), encoding="utf-8")
    url, everything = env["database_url"], list(CkanReplay.packages)
    empty = invoke("withdrawals", "list")
    assert empty.exit_code == 0 and "No withdrawals are held." in empty.stdout
    assert invoke("harvest", "ridl", "--full").exit_code == 0
    monkeypatch.setattr(CkanReplay, "packages", everything[:1])
    assert invoke("harvest", "ridl", "--full").exit_code == 0
    run_id = _scalar(url, "SELECT max(id) FROM harvest_run")

    listed = invoke("withdrawals", "list", "ridl")
    assert listed.exit_code == 0, listed.output
    row = next(line for line in listed.stdout.splitlines() if f" {run_id} " in f" {line} ")
    assert "ridl" in row and str(len(everything) - 1) in row
    other = invoke("withdrawals", "list", "another-source")
    assert "No withdrawals are held." in other.stdout

    kept = invoke("withdrawals", "discard", str(run_id))
    assert kept.exit_code == 0, kept.output
    assert f"run {run_id}: {len(everything) - 1} dataset(s) kept" in kept.stdout
    visible = "SELECT count(*) FROM dataset WHERE withdrawn_at IS NULL"
    assert _scalar(url, visible) == len(everything), "discarding withdraws nothing"
    assert "No withdrawals are held." in invoke("withdrawals", "list").stdout
    again = invoke("withdrawals", "discard", str(run_id))
    assert again.exit_code == 2 and str(run_id) in again.stderr

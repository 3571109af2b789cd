"""docker/: the compose file parses and describes the production layout (docker itself
cannot run here, so the structure is what is checked; the Dockerfile is read)."""

from __future__ import annotations

from typing import Any

import yaml

from tests.paths import REPO

DOCKER = REPO / "docker"


def _compose() -> dict[str, Any]:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_has_postgres_api_and_scalable_workers_with_health_checks() -> None:
    services = _compose()["services"]
    assert set(services) == {"db", "migrate", "api", "worker"}
    assert services["db"]["image"].startswith("postgres:")
    for name in ("db", "api", "worker"):
        assert services[name]["healthcheck"]["test"], name
    worker = services["worker"]
    assert "container_name" not in worker and "ports" not in worker, "--scale needs both absent"
    assert worker["command"][:2] == ["moisson", "worker"]
    assert "--no-scheduler" in services["api"]["command"]
    for name in ("api", "worker"):
        env = services[name]["environment"]
        assert env["MOISSON_QUEUE"] == "true"
        assert env["MOISSON_DATABASE_URL"].startswith("postgresql+asyncpg://")
        depends = services[name]["depends_on"]
        assert depends["db"]["condition"] == "service_healthy"
        assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_compose_sizes_postgresql_for_a_catalogue() -> None:
    """PostgreSQL's 128 MB of buffers make a 1 M catalogue's searches read from the OS."""
    db = _compose()["services"]["db"]
    program, *arguments = db["command"]  # postgres -c name=value -c ...
    settings = dict(argument.split("=", 1) for argument in arguments if argument != "-c")
    assert program == "postgres"
    assert settings["shared_buffers"] == "${POSTGRES_SHARED_BUFFERS:-2GB}"
    assert set(settings) == {"shared_buffers", "effective_cache_size", "maintenance_work_mem"}
    assert db["shm_size"] == "1g"


def test_dockerfile_installs_the_package_and_serves() -> None:
    text = (DOCKER / "Dockerfile").read_text(encoding="utf-8")
    assert "pip install ." in text and "HEALTHCHECK" in text
    assert 'CMD ["moisson", "serve"' in text
    for folder in ("catalog", "connectors", "harvester", "api"):
        assert f"COPY {folder} ./{folder}" in text
        assert (REPO / folder).is_dir()

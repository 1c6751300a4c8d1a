from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from config import Tenant, parse_tenant
from sync.store import Store

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

TENANT_YAML = """
tenant: {name}
crm:
  kind: hubspot
  base_url: http://127.0.0.1:9
  access_token: ${{TOKEN}}
scoring:
  fit:
    - label: Senior title
      when: {{title: {{matches: "(?i)\\\\b(vp|director|chief)\\\\b"}}}}
      points: 30
  engagement:
    - label: Page view
      activity: page_view
      points: 10
    - label: Webinar
      activity: webinar_attended
      points: 25
  disqualify:
    - label: Student
      when: {{title: {{matches: "(?i)student"}}}}
  fast_track:
    - label: Demo request
      activity: form_submission
      when: {{form: {{matches: "(?i)demo"}}}}
      within_days: 30
  decay: {{half_life_days: 30, window_days: 180}}
  mql: {{fit_min: 20, engagement_min: 30}}
  grades: {{A: 40, B: 25, C: 10}}
write_back:
  dry_run: {dry_run}
"""


def make_tenant(name: str = "acme", dry_run: bool = False) -> Tenant:
    return parse_tenant(TENANT_YAML.format(name=name, dry_run=str(dry_run).lower()), env={"TOKEN": "pat-test"})


@pytest.fixture
def tenant() -> Tenant:
    return make_tenant()


def _postgres_url() -> str | None:
    try:
        engine = sa.create_engine(PG_ADMIN, connect_args={"connect_timeout": 2})
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with engine.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        engine.dispose()
    except Exception:
        return None
    return f"{PG_ADMIN}?options=-csearch_path%3D{schema}"


def _drop_schema(url: str) -> None:
    schema = url.rsplit("%3D", 1)[1]
    engine = sa.create_engine(PG_ADMIN)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[Store]:
    if request.param == "sqlite":
        s = Store.open(f"sqlite:///{tmp_path}/crmsync.db")
        yield s
        s.close()
        return
    url = _postgres_url()
    if url is None:
        pytest.skip("PostgreSQL not reachable at 127.0.0.1:5432 (database test)")
    s = Store.open(url)
    try:
        yield s
    finally:
        s.close()
        _drop_schema(url)


@pytest.fixture
def sqlite_store(tmp_path: object) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path}/crmsync.db")
    yield s
    s.close()

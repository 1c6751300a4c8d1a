from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from click.testing import CliRunner

from sync.cli import cli
from sync.cycle import run_cycle
from sync.store import Store

from .conftest import TENANT_YAML, make_tenant
from .fakecrm import FakeCRM


def test_sync_config_error_exits_2(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("tenant: acme\ncrm: {kind: nope}\n")
    result = CliRunner().invoke(cli, ["sync", "--tenant", "acme", "--config", str(tmp_path),
                                      "--db", f"sqlite:///{tmp_path}/db.sqlite"])
    assert result.exit_code == 2
    assert "bad.yaml" in result.output


def test_sync_unknown_tenant_exits_2(tmp_path: Path) -> None:
    (tmp_path / "acme.yaml").write_text(TENANT_YAML.format(name="acme", dry_run="false"))
    result = CliRunner(env={"TOKEN": "pat-x"}).invoke(cli, ["sync", "--tenant", "other", "--config", str(tmp_path),
                                                            "--db", f"sqlite:///{tmp_path}/db.sqlite"])
    assert result.exit_code == 2
    assert "unknown tenant" in result.output


class _Refuse(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        body = b'{"status":"error","message":"No credentials.","category":"INVALID_AUTHENTICATION"}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = _answer

    def log_message(self, *args: object) -> None:
        pass


def test_sync_refused_credentials_exit_1(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refuse)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yaml = TENANT_YAML.format(name="acme", dry_run="false").replace(
        "http://127.0.0.1:9", f"http://127.0.0.1:{server.server_address[1]}")
    (tmp_path / "acme.yaml").write_text(yaml)
    result = CliRunner(env={"TOKEN": "pat-na1-11111111-2222-3333-4444-555555555555"}).invoke(
        cli, ["sync", "--tenant", "acme", "--config", str(tmp_path), "--db", f"sqlite:///{tmp_path}/db.sqlite",
              "--json"])
    assert result.exit_code == 1, result.output
    summary = json.loads(result.stdout[result.stdout.index("{"):])
    assert summary["status"] == "failed"
    assert "5555555555" not in result.output
    server.shutdown()


def test_status_lists_cycles_and_dead_letters(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/db.sqlite"
    store = Store.open(url)
    crm = FakeCRM()
    crm.put_person("1", title="VP Sales")
    crm.refuse["1"] = "INVALID_OPTION"
    run_cycle(make_tenant(), store, connector=crm, now=datetime(2026, 11, 10, tzinfo=UTC))
    store.close()
    result = CliRunner().invoke(cli, ["status", "--db", url, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout[result.stdout.index("{"):])
    assert report["acme"]["runs"][0]["status"] == "ok"
    assert report["acme"]["dead_letters"][0]["code"] == "INVALID_OPTION"
    table = CliRunner().invoke(cli, ["status", "--db", url, "--tenant", "acme"])
    assert table.exit_code == 0
    assert "INVALID_OPTION" in table.output

"""The clients' settings from real .dlt/config.toml and .dlt/secrets.toml files, read by dlt in a
fresh process started in a project directory (as a user runs callpipe)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SHOW_CLIENTS = """
import json
from sources.common.config import build_zoho_client, build_zoom_client
zoom, zoho = build_zoom_client(), build_zoho_client()
users = zoom.get("/phone/users", {"page_size": 5}, label="medium")["users"]  # a token from the secrets
print(json.dumps({"rates": {k: [v.rate, v.daily] for k, v in zoom.limiters.items()},
                  "read_timeout": zoom._http.timeout.read, "max_retries": zoom.retry.max_retries,
                  "users": len(users), "zoho_base_url": zoho.base_url, "zoho_rpm": zoho.limiters["default"].rate}))
"""


def project(tmp_path: Path, config: str, secrets: str) -> Path:
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "config.toml").write_text(config)
    (tmp_path / ".dlt" / "secrets.toml").write_text(secrets)
    return tmp_path


def env() -> dict[str, str]:
    """This environment without any callpipe setting: the files alone configure the process."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "PIPELINE__", "DESTINATION__"))}
    return {**clean, "PYTHONPATH": str(ROOT)}


def test_settings_and_credentials_come_from_the_toml_files(tmp_path, sandbox):
    zoom = sandbox.zoom_credentials
    cwd = project(tmp_path, f"""
[sources.zoom]
base_url = "{sandbox.zoom_base_url}"
token_url = "{sandbox.zoom_token_url}"
read_timeout = ""          # blank: not set, the default applies
max_retries = 2
[sources.zoom.rate_limits]
heavy = 7
heavy_daily = 500
[sources.zoho_voice]
data_centre = "eu"
requests_per_minute = 12
""", secrets=f"""
[sources.zoom]
account_id = "{zoom['account_id']}"
client_id = "{zoom['client_id']}"
client_secret = "{zoom['client_secret']}"
[sources.zoho_voice]
client_id = "zcid"
client_secret = "zs-from-file-1"
refresh_token = "rt-from-file-1"
""")
    done = subprocess.run([sys.executable, "-c", SHOW_CLIENTS], cwd=cwd, env=env(), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["rates"] == {"light": [40, None], "medium": [20, None], "heavy": [7, 500]}
    assert (seen["read_timeout"], seen["max_retries"]) == (60.0, 2)
    assert seen["users"] == 5 and sandbox.requests["POST /oauth/token"] == 1
    assert (seen["zoho_base_url"], seen["zoho_rpm"]) == ("https://voice.zoho.eu", 12)


def test_a_secret_in_config_toml_exits_2_saying_where_it_belongs_without_showing_it(tmp_path):
    cwd = project(tmp_path, '[sources.zoom]\nclient_secret = "pasted-in-the-wrong-file-9"\n',
                  secrets='[sources.zoom]\naccount_id = "a"\nclient_id = "b"\n')
    done = subprocess.run([sys.executable, "-m", "pipelines", "run", "--source", "zoom_phone",
                           "--duckdb-path", str(tmp_path / "w.duckdb"), "--pipelines-dir", str(tmp_path / "pl")],
                          cwd=cwd, env=env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert ("Zoom client secret is a secret: move client_secret under [sources.zoom] from .dlt/config.toml to "
            ".dlt/secrets.toml, or set the environment variable SOURCES__ZOOM__CLIENT_SECRET") in done.stderr
    assert "pasted-in-the-wrong-file" not in done.stdout + done.stderr
    assert not (tmp_path / "w.duckdb").exists()

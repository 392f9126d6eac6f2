"""Invalid arguments and configuration: exit code 2, a message saying what to type, no request sent."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from pipelines.cli import main
from pipelines.console import Console
from pipelines.dates import check_range, earliest_start, parse_cli_date
from pipelines.errors import (
    EXIT_BUSY,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_QUOTA,
    EXIT_USAGE,
    UsageError,
    combine_exit_codes,
)
from pipelines.warehouse import Warehouse, redact


def call(argv, **kw) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, console=Console(out=out, err=err, live=False), **kw)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def where(tmp_path):
    return ["--duckdb-path", str(tmp_path / "w.duckdb"), "--pipelines-dir", str(tmp_path / "pl")]


def test_help_of_every_command(capsys):
    for argv in (["--help"], ["run", "--help"], ["backfill", "--help"], ["demo", "--help"], ["status", "--help"]):
        assert main(argv) == 0
        text = capsys.readouterr().out
        assert "usage: callpipe" in text
    assert main(["run", "--help"]) == 0
    assert "exit codes" in capsys.readouterr().out


def test_unknown_source_says_what_to_type(capsys, where):
    assert main(["run", "--source", "zoom", *where]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "unknown source 'zoom'" in err
    assert "zoom_phone" in err and "--source zoom_phone" in err


def test_no_command_is_a_usage_error(capsys):
    assert main([]) == EXIT_USAGE
    assert "COMMAND" in capsys.readouterr().err


@pytest.mark.parametrize(
    "start,end,expect",
    [
        ("2026-13-01", "2026-11-15", "is not a real date"),
        ("yesterday", "2026-11-15", "type a date like 2026-06-01"),
        ("2026-11-10T08:00:00", "2026-11-15", "has no time zone"),
        ("2026-11-15", "2026-11-10", "give the earlier one as --start, e.g. --start 2026-11-10 --end 2026-11-15"),
        ("2026-01-01", "2026-02-01", "keeps only the last 6 months"),
    ],
)
def test_bad_backfill_ranges_exit_2_before_any_request(tiny_sandbox, where, start, end, expect):
    code, out, err = call(["backfill", "--source", "zoom_phone", "--start", start, "--end", end, *where],
                          clock=tiny_sandbox.clock)
    assert code == EXIT_USAGE, err
    assert expect in err
    assert sum(tiny_sandbox.requests.values()) == 0
    if "6 months" in expect:
        assert "Type --start 2026-05-21 or later" in err


def test_unknown_resource_exit_2(tiny_sandbox, where):
    code, _, err = call(["backfill", "--source", "zoho_voice", "--resources", "calls", "--start", "2026-11-01",
                         "--end", "2026-11-10", *where], clock=tiny_sandbox.clock)
    assert code == EXIT_USAGE
    assert "unknown resource(s) calls" in err and "call_logs" in err
    assert sum(tiny_sandbox.requests.values()) == 0


def test_missing_credentials_exit_2_naming_the_env_var(tiny_sandbox, where, monkeypatch):
    monkeypatch.delenv("SOURCES__ZOHO_VOICE__REFRESH_TOKEN")
    code, out, err = call(["run", *where], clock=tiny_sandbox.clock)
    assert code == EXIT_USAGE
    assert "SOURCES__ZOHO_VOICE__REFRESH_TOKEN" in err
    assert "nothing was loaded" in err
    assert sum(tiny_sandbox.requests.values()) == 0  # the Zoom sources did not start either


def test_postgres_without_credentials_exit_2(monkeypatch):
    monkeypatch.delenv("DESTINATION__POSTGRES__CREDENTIALS", raising=False)
    code, _, err = call(["status", "--destination", "postgres"])
    assert code == EXIT_USAGE
    assert "DESTINATION__POSTGRES__CREDENTIALS" in err


def test_bad_config_source_list_exit_2(where, monkeypatch):
    monkeypatch.setenv("PIPELINE__SOURCES", '["zoom_phone", "teams"]')
    code, _, err = call(["run", *where])
    assert code == EXIT_USAGE
    assert "teams" in err and "PIPELINE__SOURCES" in err


def test_dates():
    assert parse_cli_date("2026-06-01", "--start") == dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    assert parse_cli_date("2026-06-01", "--end", end=True) == dt.datetime(2026, 6, 2, tzinfo=dt.UTC)
    assert parse_cli_date("2026-06-01T10:00:00+02:00", "--start") == dt.datetime(2026, 6, 1, 8, tzinfo=dt.UTC)
    assert parse_cli_date("2026-06-01T08:00:00Z", "--end", end=True) == dt.datetime(2026, 6, 1, 8, tzinfo=dt.UTC)
    now = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
    end, notes = check_range(dt.datetime(2026, 11, 1, tzinfo=dt.UTC), dt.datetime(2026, 12, 1, tzinfo=dt.UTC), now,
                             source="Zoom Phone", lookback_months=6)
    assert end == now and notes  # capped at now, said so
    with pytest.raises(UsageError, match="in the future"):
        check_range(dt.datetime(2026, 12, 1, tzinfo=dt.UTC), dt.datetime(2026, 12, 5, tzinfo=dt.UTC), now,
                    source="Zoho Voice", lookback_months=None)
    # Zoho has no look-back limit
    check_range(dt.datetime(2025, 1, 1, tzinfo=dt.UTC), dt.datetime(2025, 2, 1, tzinfo=dt.UTC), now,
                source="Zoho Voice", lookback_months=None)
    assert earliest_start(now, 6) == dt.datetime(2026, 5, 20, 12, tzinfo=dt.UTC)


def test_exit_code_precedence():
    assert combine_exit_codes([EXIT_OK, EXIT_OK]) == EXIT_OK
    assert combine_exit_codes([EXIT_OK, EXIT_QUOTA]) == EXIT_QUOTA
    assert combine_exit_codes([EXIT_QUOTA, EXIT_BUSY]) == EXIT_BUSY
    assert combine_exit_codes([EXIT_QUOTA, EXIT_FAILED, EXIT_OK]) == EXIT_FAILED


def test_postgres_dsn_never_shown(tmp_path):
    dsn = "postgresql://loader:s3cr3t-pw@db.example.com:5432/warehouse"
    wh = Warehouse.postgres(dsn, pipelines_dir=tmp_path)
    assert "s3cr3t" not in wh.describe() and "s3cr3t" not in repr(wh) and "s3cr3t" not in wh.key
    assert wh.describe() == "postgres loader@db.example.com:5432/warehouse"
    assert "s3cr3t" not in wh.redact(f"could not connect to {dsn}: password s3cr3t-pw rejected")
    assert redact("host=db password=abc user=x") == "host=db password=*** user=x"


def test_console_script_exit_code(tmp_path):
    """The real entry point returns 2 to the shell, with the hint on stderr."""
    import os

    from tests.pipelines.conftest import ROOT, cli

    done = cli(["backfill", "--source", "zoho_voice", "--start", "2026-11-10", "--end", "2026-11-01",
                "--duckdb-path", str(tmp_path / "w.duckdb")], dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 2
    assert "--start 2026-11-01 --end 2026-11-10" in done.stderr


BAD_SETTINGS = [  # env var, value, what the message must name besides the env var, a good value it shows
    ("SOURCES__ZOOM_PHONE__PAGE_SIZE", "abc", "page_size", "e.g. 300"),
    ("SOURCES__ZOOM_PHONE__PAGE_SIZE", "10.5", "page_size", "e.g. 300"),
    ("SOURCES__ZOHO_VOICE__PAGE_SIZE", "0", "page_size", "e.g. 100"),
    ("SOURCES__ZOOM_CONTACT_CENTER__LAG_DAYS", "two", "lag_days", "e.g. 2.0"),
    ("SOURCES__ZOHO_VOICE__IS_VOICEMAIL", "maybe", "is_voicemail", "true or false"),
    ("PIPELINE__DUCKDB_MEMORY_LIMIT", "lots", "duckdb_memory_limit", "e.g. 256MB"),
    ("SOURCES__ZOOM__BASE_URL", "api.zoom.us/v2", "base_url", "https://api.zoom.us/v2"),
    ("SOURCES__ZOHO_VOICE__TOKEN_URL", "accounts.zoho.com/oauth/v2/token", "token_url", "https://accounts.zoho.com"),
    ("SOURCES__ZOOM_PHONE__RESOURCES", '["call_logs",', "resources", '["a", "b"] or a,b'),
    ("SOURCES__ZOOM_CONTACT_CENTER__RESOURCES", "voice_calls,calls", "resources", "choose from ['voice_calls', 'engagements', 'engagement_logs']"),
    ("PIPELINE__SOURCES", '["zoom_phone", "teams"]', "sources", 'e.g. ["zoom_phone", "zoho_voice"]'),
    ("PIPELINE__SOURCES", "zoom_phone,[", "sources", 'e.g. ["zoom_phone", "zoho_voice"]'),
    ("PIPELINE__DATASETS", "zoom_phone", "datasets", "zoom_phone=calls_zoom"),
    ("PIPELINE__ANALYTICS_DATASET", "my-views", "analytics_dataset", "e.g. analytics"),
]


@pytest.mark.parametrize(("env", "value", "key", "example"), BAD_SETTINGS)
def test_a_bad_setting_exits_2_naming_key_env_var_and_a_good_value(env, value, key, example, tiny_sandbox,
                                                                   where, tmp_path, monkeypatch):
    monkeypatch.setenv(env, value)
    code, out, err = call(["run", *where], clock=tiny_sandbox.clock)
    assert code == EXIT_USAGE, out + err
    assert key in err and env in err and example in err, err
    assert "Traceback" not in err
    assert sum(tiny_sandbox.requests.values()) == 0
    assert not (tmp_path / "w.duckdb").exists()  # nothing written: no run record either


@pytest.mark.parametrize(("option", "env", "key"), [("--duckdb-path", "PIPELINE__DUCKDB_PATH", "duckdb_path"),
                                                    ("--pipelines-dir", "PIPELINE__PIPELINES_DIR", "pipelines_dir")])
def test_an_unwritable_place_exits_2_before_anything(option, env, key, tiny_sandbox, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    other = {"--duckdb-path": str(tmp_path / "w.duckdb"), "--pipelines-dir": str(tmp_path / "pl")}
    other[option] = str(blocker / "inside")
    argv = [item for pair in other.items() for item in pair]
    for command in (["run"], ["backfill", "--source", "zoho_voice", "--start", "2026-11-01", "--end", "2026-11-10"]):
        code, out, err = call([*command, *argv], clock=tiny_sandbox.clock)
        assert code == EXIT_USAGE, out + err
        assert "cannot be written" in err and option in err and env in err and key in err and "e.g." in err
    assert sum(tiny_sandbox.requests.values()) == 0
    assert not (tmp_path / "w.duckdb").exists() and not (tmp_path / "pl").exists()


@pytest.mark.parametrize("value", ["call_logs,users", '["call_logs", "users"]', " call_logs , users "])
def test_a_list_setting_takes_a_comma_list_or_a_json_list(value, tiny_sandbox, where, monkeypatch):
    """`SOURCES__ZOOM_PHONE__RESOURCES=call_logs,users` (the README's form) and the JSON form load the same."""
    monkeypatch.setenv("PIPELINE__SOURCES", '["zoom_phone"]' if value.startswith("[") else "zoom_phone")
    monkeypatch.setenv("SOURCES__ZOOM_PHONE__RESOURCES", value)
    code, out, err = call(["run", *where], clock=tiny_sandbox.clock)
    assert code == EXIT_OK, out + err
    wh = Warehouse.duckdb(where[1])
    assert set(wh.row_counts("zoom_phone")) == {"call_logs", "users"}
    assert not wh.tables("zoho_voice") and not wh.tables("zoom_contact_center")


def test_datasets_from_env_vars(tiny_sandbox, tmp_path, monkeypatch):
    from pipelines.warehouse import warehouse_from_config

    def datasets() -> dict[str, str]:
        return warehouse_from_config(duckdb_path=str(tmp_path / "w.duckdb")).datasets

    monkeypatch.setenv("PIPELINE__DATASETS__ZOOM_CONTACT_CENTER", "calls_cc")  # one key of the table
    assert datasets() == {"zoom_phone": "zoom_phone", "zoho_voice": "zoho_voice", "zoom_contact_center": "calls_cc"}
    monkeypatch.setenv("PIPELINE__DATASETS", "zoom_phone=calls_zoom, zoho_voice=calls_zoho")  # the whole table
    assert datasets() == {"zoom_phone": "calls_zoom", "zoho_voice": "calls_zoho",
                          "zoom_contact_center": "zoom_contact_center"}
    monkeypatch.setenv("PIPELINE__DATASETS", '{"zoom_phone": "zp"}')
    assert datasets()["zoom_phone"] == "zp"

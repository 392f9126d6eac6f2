"""Configuration: dlt env vars, overrides, validation messages that name the key and env var."""

from __future__ import annotations

import pytest

from sources.common.config import (
    ZOHO_DATA_CENTRES,
    ConfigError,
    build_zoho_client,
    build_zoom_client,
    env_var,
    setting,
)
from tests.common.fake_server import FakeClock

ZOOM_KEYS = ["base_url", "token_url", "connect_timeout", "read_timeout", "max_retries", "backoff_base",
             "backoff_max", "pool_size", "rate_margin", "account_id", "client_id", "client_secret",
             "rate_limits.light", "rate_limits.medium", "rate_limits.heavy", "rate_limits.heavy_daily",
             "rate_limits.light_daily"]
ZOHO_KEYS = ["data_centre", "base_url", "token_url", "connect_timeout", "read_timeout", "max_retries",
             "backoff_base", "backoff_max", "pool_size", "rate_margin", "requests_per_minute",
             "client_id", "client_secret", "refresh_token"]


@pytest.fixture(autouse=True)
def blank_env(monkeypatch):
    """Every key blank (= not set, so defaults apply) whatever .dlt/*.toml holds, then credentials."""
    for key in ZOOM_KEYS:
        monkeypatch.setenv(env_var(f"sources.zoom.{key}"), "")
    for key in ZOHO_KEYS:
        monkeypatch.setenv(env_var(f"sources.zoho_voice.{key}"), "")
    for name, value in {"SOURCES__ZOOM__ACCOUNT_ID": "acct", "SOURCES__ZOOM__CLIENT_ID": "cid",
                        "SOURCES__ZOOM__CLIENT_SECRET": "zoom-secret-1",
                        "SOURCES__ZOHO_VOICE__CLIENT_ID": "zcid", "SOURCES__ZOHO_VOICE__CLIENT_SECRET": "zs-1",
                        "SOURCES__ZOHO_VOICE__REFRESH_TOKEN": "rt-1"}.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_zoom_defaults_and_env_values(monkeypatch):
    monkeypatch.setenv("SOURCES__ZOOM__RATE_LIMITS__HEAVY", "5")
    monkeypatch.setenv("SOURCES__ZOOM__READ_TIMEOUT", "12.5")
    monkeypatch.setenv("SOURCES__ZOOM__MAX_RETRIES", "2")
    with build_zoom_client(FakeClock()) as client:
        assert client.base_url == "https://api.zoom.us/v2"
        assert client.auth.token_url == "https://zoom.us/oauth/token"
        rates = {label: (lim.rate, lim.period, lim.daily) for label, lim in client.limiters.items()}
        assert rates == {"light": (40, 1.0, None), "medium": (20, 1.0, None), "heavy": (5, 1.0, 30000)}
        assert client.retry.max_retries == 2 and client.retry.backoff_max == 60.0
        assert client._http.timeout.read == 12.5 and client._http.timeout.connect == 10.0
        assert "zoom-secret-1" not in repr(client)


def test_overrides_win_and_rate_limits_mapping(monkeypatch):
    monkeypatch.setenv("SOURCES__ZOOM__BASE_URL", "http://env.invalid/v2")
    clock = FakeClock()
    with build_zoom_client(clock, base_url="http://127.0.0.1:1/v2", rate_limits={"light": 3},
                           heavy_daily=100) as client:
        assert client.base_url == "http://127.0.0.1:1/v2"
        assert client.limiters["light"].rate == 3 and client.limiters["heavy"].daily == 100
        assert client.clock is clock


def test_missing_zoom_client_id_names_key_and_env_var(monkeypatch):
    monkeypatch.setenv("SOURCES__ZOOM__CLIENT_ID", "")
    with pytest.raises(ConfigError) as info:
        build_zoom_client()
    assert str(info.value) == ("Missing Zoom client id: set client_id under [sources.zoom] in .dlt/secrets.toml "
                               "or the environment variable SOURCES__ZOOM__CLIENT_ID")


def test_missing_zoho_refresh_token(monkeypatch):
    monkeypatch.setenv("SOURCES__ZOHO_VOICE__REFRESH_TOKEN", "  ")
    with pytest.raises(ConfigError, match="refresh_token under \\[sources.zoho_voice\\].*"
                                          "SOURCES__ZOHO_VOICE__REFRESH_TOKEN"):
        build_zoho_client()


def test_unknown_zoho_data_centre_lists_valid_ones(monkeypatch):
    monkeypatch.setenv("SOURCES__ZOHO_VOICE__DATA_CENTRE", "mars")
    with pytest.raises(ConfigError) as info:
        build_zoho_client()
    text = str(info.value)
    assert "'mars'" in text and "SOURCES__ZOHO_VOICE__DATA_CENTRE" in text and "data_centre" in text
    for code in ZOHO_DATA_CENTRES:
        assert code in text


@pytest.mark.parametrize(("env", "value", "key"), [
    ("SOURCES__ZOOM__RATE_LIMITS__LIGHT", "0", "light under [sources.zoom.rate_limits]"),
    ("SOURCES__ZOOM__RATE_LIMITS__HEAVY", "-3", "heavy under [sources.zoom.rate_limits]"),
    ("SOURCES__ZOOM__RATE_LIMITS__HEAVY_DAILY", "0", "heavy_daily under [sources.zoom.rate_limits]"),
    ("SOURCES__ZOOM__CONNECT_TIMEOUT", "0", "connect_timeout under [sources.zoom]"),
    ("SOURCES__ZOOM__READ_TIMEOUT", "soon", "read_timeout under [sources.zoom]"),
    ("SOURCES__ZOOM__MAX_RETRIES", "-1", "max_retries under [sources.zoom]"),
    ("SOURCES__ZOOM__RATE_LIMITS__MEDIUM", "2.5", "medium under [sources.zoom.rate_limits]"),
])
def test_bad_zoom_numbers(monkeypatch, env, value, key):
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError) as info:
        build_zoom_client()
    assert key in str(info.value) and env in str(info.value) and value in str(info.value)


@pytest.mark.parametrize("value", ["0", "-5", "many"])
def test_bad_zoho_rate(monkeypatch, value):
    monkeypatch.setenv("SOURCES__ZOHO_VOICE__REQUESTS_PER_MINUTE", value)
    with pytest.raises(ConfigError, match="requests_per_minute under \\[sources.zoho_voice\\].*"
                                          "SOURCES__ZOHO_VOICE__REQUESTS_PER_MINUTE"):
        build_zoho_client()


def test_override_values_are_validated_too():
    with pytest.raises(ConfigError, match="SOURCES__ZOOM__RATE_LIMITS__HEAVY"):
        build_zoom_client(heavy=0)
    with pytest.raises(ConfigError, match="Unknown setting"):
        build_zoom_client(hevy=5)


@pytest.mark.parametrize(("dc", "token_url", "base_url"), [
    ("us", "https://accounts.zoho.com/oauth/v2/token", "https://voice.zoho.com"),
    ("EU", "https://accounts.zoho.eu/oauth/v2/token", "https://voice.zoho.eu"),
    ("au", "https://accounts.zoho.com.au/oauth/v2/token", "https://voice.zoho.com.au"),
    ("ca", "https://accounts.zohocloud.ca/oauth/v2/token", "https://voice.zohocloud.ca"),
    ("cn", "https://accounts.zoho.com.cn/oauth/v2/token", "https://voice.zoho.com.cn"),
])
def test_zoho_data_centre_hosts(monkeypatch, dc, token_url, base_url):
    monkeypatch.setenv("SOURCES__ZOHO_VOICE__DATA_CENTRE", dc)
    with build_zoho_client(FakeClock()) as client:
        assert (client.auth.token_url, client.base_url) == (token_url, base_url)
        limiter = client.limiters["default"]
        assert (limiter.rate, limiter.period) == (30, 60.0)
        assert "zs-1" not in repr(client) and "rt-1" not in repr(client)


def test_zoho_host_overrides(monkeypatch):
    monkeypatch.setenv("SOURCES__ZOHO_VOICE__BASE_URL", "http://127.0.0.1:9/")
    with build_zoho_client(token_url="http://127.0.0.1:9/oauth/v2/token") as client:
        assert client.base_url == "http://127.0.0.1:9"
        assert client.auth.token_url == "http://127.0.0.1:9/oauth/v2/token"


def test_zoom_clients_share_limiters_per_clock():
    clock = FakeClock()
    a, b, c = build_zoom_client(clock), build_zoom_client(clock), build_zoom_client(FakeClock())
    assert a.limiters["heavy"] is b.limiters["heavy"]
    assert a.limiters["heavy"] is not c.limiters["heavy"]
    for client in (a, b, c):
        client.close()


def test_setting_helper(monkeypatch):
    monkeypatch.setenv("SOURCES__ZOOM_PHONE__PAGE_SIZE", "250")
    monkeypatch.setenv("SOURCES__ZOOM_PHONE__LEGACY", "false")
    monkeypatch.setenv("SOURCES__ZOOM_PHONE__LAG_DAYS", "")
    assert setting("sources.zoom_phone.page_size", 300, positive=True) == 250
    assert setting("sources.zoom_phone.legacy", True) is False
    assert setting("sources.zoom_phone.lag_days", 2.0) == 2.0
    assert setting("sources.zoom_phone.nothing_here_xyz", None) is None
    with pytest.raises(ConfigError, match="SOURCES__ZOOM_PHONE__NOTHING_HERE_XYZ"):
        setting("sources.zoom_phone.nothing_here_xyz")


def test_setting_never_echoes_a_secret(monkeypatch):
    monkeypatch.setenv("SOURCES__ZOOM__PIN", "hunter2-secret")
    with pytest.raises(ConfigError) as info:
        setting("sources.zoom.pin", secret=True, cast=int)
    assert "hunter2" not in str(info.value) and "SOURCES__ZOOM__PIN" in str(info.value)


def test_only_the_documented_keys_are_read_not_a_top_level_client_id(monkeypatch):
    """dlt also looks a key up under its shorter paths: a CLIENT_ID or READ_TIMEOUT of another
    program in the environment must not become Zoom's."""
    monkeypatch.delenv("SOURCES__ZOOM__CLIENT_ID", raising=False)
    monkeypatch.delenv("SOURCES__ZOOM__READ_TIMEOUT", raising=False)
    monkeypatch.setenv("CLIENT_ID", "another-programs-id")
    monkeypatch.setenv("SOURCES__CLIENT_ID", "another-programs-id")
    with pytest.raises(ConfigError, match="SOURCES__ZOOM__CLIENT_ID"):
        build_zoom_client()
    monkeypatch.setenv("SOURCES__ZOOM__CLIENT_ID", "zoom-id")
    monkeypatch.setenv("READ_TIMEOUT", "99")
    with build_zoom_client() as client:
        assert client.auth._client_id == "zoom-id" and client._http.timeout.read != 99

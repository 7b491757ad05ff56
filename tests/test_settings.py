"""The cookie signing key rule."""

from __future__ import annotations

import pytest

from db.settings import EXAMPLE_COOKIE_KEY, ConfigurationError, cookie_key, demo_wanted

GOOD = "k" * 48


def test_environment_wins_over_secrets() -> None:
    assert cookie_key({"COOKIE_KEY": GOOD}, "other" * 10) == GOOD
    assert cookie_key({}, GOOD) == GOOD


@pytest.mark.parametrize("key", [None, "", EXAMPLE_COOKIE_KEY, "short"])
def test_production_refuses_a_missing_short_or_example_key(key: str | None) -> None:
    with pytest.raises(ConfigurationError) as err:
        cookie_key({"APP_ENV": "production"}, key)
    assert "Cookie-Schlüssel" in err.value.message


def test_production_accepts_a_real_key() -> None:
    assert cookie_key({"APP_ENV": "production", "COOKIE_KEY": GOOD}, None) == GOOD


def test_development_without_a_key_gets_a_random_one_per_process() -> None:
    first, second = cookie_key({}, None), cookie_key({}, None)
    assert first == second and len(first) >= 32 and first != EXAMPLE_COOKIE_KEY


@pytest.mark.parametrize("key", [EXAMPLE_COOKIE_KEY, "short", "x" * 31])
@pytest.mark.parametrize("environ", [{}, {"APP_ENV": "development"}])
def test_the_example_key_and_short_keys_are_refused_in_every_mode(key: str, environ: dict) -> None:
    with pytest.raises(ConfigurationError):
        cookie_key({**environ, "COOKIE_KEY": key}, None)
    with pytest.raises(ConfigurationError):
        cookie_key(environ, key)


@pytest.mark.parametrize(("environ", "wanted"), [
    ({}, False), ({"DEMO_DATA": "0"}, False), ({"DEMO_DATA": "1"}, True), ({"DEMO_DATA": "ja"}, True),
    ({"DEMO_DATA": "1", "APP_ENV": "production"}, False),
])
def test_demo_data_only_when_asked_and_never_in_production(environ: dict, wanted: bool) -> None:
    assert demo_wanted(environ) is wanted


def test_session_limits_and_secure_cookie_switch() -> None:
    from datetime import timedelta

    from db.settings import secure_cookie, session_limits

    assert session_limits({}) == (timedelta(minutes=60), timedelta(hours=12))
    assert session_limits({"SESSION_IDLE_MINUTES": "30", "SESSION_MAX_HOURS": "8"}) == (
        timedelta(minutes=30), timedelta(hours=8))
    for bad in ({"SESSION_IDLE_MINUTES": "0"}, {"SESSION_MAX_HOURS": "zwölf"}):
        with pytest.raises(ConfigurationError):
            session_limits(bad)
    assert secure_cookie({"COOKIE_SECURE": "1"}) and not secure_cookie({})


def test_streamlit_config_keeps_data_on_the_machine() -> None:
    import tomllib
    from pathlib import Path

    config = tomllib.loads((Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml").read_text())
    assert config["browser"]["gatherUsageStats"] is False
    assert config["client"]["toolbarMode"] == "minimal"  # no developer or English menu entries
    assert config["client"]["disableDataExport"] is True  # no unaudited CSV from a table

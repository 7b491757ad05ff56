"""Start-up: schema, demo data only when asked, no demo accounts in production."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from db.bootstrap import prepare
from db.store.database import Database
from db.demo.seed import seed_demo
from db.store.models import User
from db.settings import ConfigurationError
from db.vocabulary import Role


def users(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(User)) or 0


def test_an_empty_database_stays_empty_without_demo_data(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEMO_DATA", raising=False)
    assert prepare(db) is False and users(db) == 0
    monkeypatch.setenv("DEMO_DATA", "0")
    assert prepare(db) is False and users(db) == 0
    if db.is_sqlite:  # (PostgreSQL in production first wants the application role: test_roles)
        monkeypatch.setenv("DEMO_DATA", "1")
        monkeypatch.setenv("APP_ENV", "production")
        monkeypatch.setenv("COOKIE_KEY", "k" * 48)  # production refuses to start without one
        assert prepare(db) is False and users(db) == 0


def test_demo_data_when_asked(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_DATA", "1")
    monkeypatch.delenv("APP_ENV", raising=False)
    assert prepare(db) is True and users(db) > 0


def test_production_refuses_to_start_with_demo_accounts(sqlite_db: Database,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    db = sqlite_db
    seed_demo(db)
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("COOKIE_KEY", "k" * 48)  # production refuses to start without one
    with pytest.raises(ConfigurationError) as err:
        prepare(db)
    assert "Demo-Konten" in err.value.message


def test_the_app_says_so_in_german(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    from .conftest import ROOT, as_read

    db = Database.from_url(db_url)
    prepare(db)  # DEMO_DATA=1 from the fixture: the demo world
    db.dispose()
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("COOKIE_KEY", "p" * 48)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert "Demo-Konten" in as_read(at.error[0].value) and not at.text_input


def test_an_empty_installation_says_how_the_first_admin_is_made(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    from db.actors import Actor
    from db.accounts.users import create_user

    from .conftest import ROOT, as_read

    monkeypatch.setenv("DEMO_DATA", "0")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert "create-user" in at.info[0].value and "--role admin" in at.info[0].value
    db = Database.from_url(db_url)
    create_user(db, Actor.system(), username="erste.admin", display_name="Erste Administration",
                role=Role.ADMIN, password="Ein-langes-Admin-Passwort-1")
    db.dispose()
    assert not at.run().info  # once there is an account, the hint is gone

"""The app factory and configuration."""
from __future__ import annotations

import logging
import subprocess
import sys

import pytest

from app import create_app
from config import BASE_DIR, Config, TestConfig, database_url, env_bool


def test_config_testing(app):
    assert app.testing
    assert not create_app(type("C", (Config,), {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})).testing


def test_mega_tutorial_imports_work():
    from app import create_app, db  # noqa: F401
    from app.models import Post, User  # noqa: F401
    from config import Config  # noqa: F401


@pytest.mark.parametrize(("raw", "expected"), [
    ("1", True), ("true", True), ("True", True), ("yes", True), ("on", True),
    ("0", False), ("false", False), ("FALSE", False), ("no", False), ("off", False), ("", False),
])
def test_env_bool(monkeypatch, raw, expected):
    monkeypatch.setenv("MAIL_USE_TLS", raw)
    assert env_bool("MAIL_USE_TLS") is expected


def test_env_bool_rejects_nonsense(monkeypatch):
    monkeypatch.setenv("MAIL_USE_TLS", "maybe")
    with pytest.raises(ValueError, match="MAIL_USE_TLS must be a boolean"):
        env_bool("MAIL_USE_TLS")


@pytest.mark.parametrize(("url", "expected"), [
    ("postgres://u:p@db/microblog", "postgresql+psycopg://u:p@db/microblog"),
    ("postgresql://u:p@db/microblog", "postgresql+psycopg://u:p@db/microblog"),
    ("postgresql+psycopg://u@db/m", "postgresql+psycopg://u@db/m"),
    ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ("", None),
    (None, None),
])
def test_database_url_normalisation(url, expected):
    assert database_url(url) == expected


def run_config(env: dict[str, str], expr: str) -> str:
    """Evaluate ``expr`` on a freshly imported Config, in a child process, so
    the environment is read exactly as at start-up."""
    code = f"from config import Config; print(repr(({expr})))"
    clean = {"PATH": "/usr/bin:/bin", **env}
    return subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=clean, capture_output=True,
                          text=True, check=True).stdout.strip()


def test_config_reads_environment():
    env = {"MAIL_SERVER": "smtp.example.com", "MAIL_PORT": "2525", "MAIL_USE_TLS": "0",
           "ADMINS": "a@example.com, b@example.com", "POSTS_PER_PAGE": "10", "LOG_DIR": "/var/log/microblog",
           "DATABASE_URL": "postgres://u@h/d"}
    out = run_config(env, "Config.MAIL_SERVER, Config.MAIL_PORT, Config.MAIL_USE_TLS, Config.ADMINS, "
                          "Config.POSTS_PER_PAGE, Config.LOG_DIR, Config.SQLALCHEMY_DATABASE_URI")
    assert out == ("('smtp.example.com', 2525, False, ['a@example.com', 'b@example.com'], 10, "
                   "'/var/log/microblog', 'postgresql+psycopg://u@h/d')")


def test_config_defaults():
    out = run_config({}, "Config.POSTS_PER_PAGE, Config.MAIL_USE_TLS, Config.SECRET_KEY, Config.LOG_DIR")
    assert out == f"(25, False, None, '{BASE_DIR / 'logs'}')"


def test_generated_secret_key_is_kept_and_warned_about(tmp_path, caplog):
    cfg = type("C", (TestConfig,), {"SECRET_KEY": None, "INSTANCE_PATH": str(tmp_path)})
    with caplog.at_level(logging.WARNING):
        first = create_app(cfg)
        second = create_app(cfg)  # a second worker, or a restart
    key_file = tmp_path / "secret_key"
    assert (key_file.stat().st_mode & 0o777) == 0o600
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(first.config["SECRET_KEY"]) == 64
    assert "SECRET_KEY is not set" in caplog.text


def test_secret_key_from_environment_is_used_as_is(tmp_path):
    app = create_app(type("C", (TestConfig,), {"SECRET_KEY": "from-env", "INSTANCE_PATH": str(tmp_path)}))
    assert app.config["SECRET_KEY"] == "from-env"
    assert not (tmp_path / "secret_key").exists()


def test_default_database_is_sqlite_in_instance_folder(tmp_path):
    app = create_app(type("C", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": None, "INSTANCE_PATH": str(tmp_path)}))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'microblog.db'}"


def test_flaskenv_names_the_app_and_nothing_secret():
    lines = (BASE_DIR / ".flaskenv").read_text().split()
    assert "FLASK_APP=microblog.py" in lines
    assert not [line for line in lines if "SECRET" in line or "PASSWORD" in line]

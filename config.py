"""Configuration read from the environment (and a git-ignored ``.env``)."""
from __future__ import annotations

import os
from pathlib import Path

from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent
load_dotenv(BASE_DIR / ".env")


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean: ``1/true/yes/on`` are true, ``0/false/no/off`` and empty are false."""
    value = os.environ.get(name)
    if value is None:
        return default
    value = value.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"", "0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {value!r}") from None


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {value!r}") from None


def env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def database_url(url: str | None) -> str | None:
    """Normalise a ``DATABASE_URL``: Heroku-style ``postgres://`` and bare
    ``postgresql://`` both select the psycopg 3 driver that we ship."""
    if not url:
        return None
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    # Absolute path of the instance folder; None means Flask's default,
    # ``instance/`` beside the ``app`` package.
    INSTANCE_PATH = os.environ.get("INSTANCE_PATH") or None
    # None means: create_app generates one and keeps it in the instance folder.
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    # None means: an SQLite file in the instance folder (resolved in create_app).
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL"))
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS")
    MAIL_USE_SSL = env_bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_TIMEOUT = env_float("MAIL_TIMEOUT", 10)  # seconds; a silent server cannot hold a sender forever
    ADMINS = env_list("ADMINS")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER") or (
        ADMINS[0] if ADMINS else "microblog@localhost"
    )
    POSTS_PER_PAGE = env_int("POSTS_PER_PAGE", 25)
    # How long after posting its author may still change a post's body; 0
    # turns editing off.
    POST_EDIT_MINUTES = env_int("POST_EDIT_MINUTES", 15)
    # Interface languages offered, the first the default (see Languages).
    LANGUAGES = env_list("LANGUAGES") or ["en", "es", "de"]
    # How long a worker answers a feed reader's poll 304 from what it saw,
    # without asking the database (0: always asks). Feeds say max-age=60.
    FEED_CHECK_SECONDS = env_float("FEED_CHECK_SECONDS", 10)
    # Search ranks this many of a query's newest matches by relevance; older
    # matches follow, newest first (app/search/engine.py says why).
    SEARCH_RANK_WINDOW = env_int("SEARCH_RANK_WINDOW", 200)
    # Relative values are taken from the project folder, never the working directory.
    LOG_DIR = str(BASE_DIR / (os.environ.get("LOG_DIR") or "logs"))
    LOG_TO_STDOUT = env_bool("LOG_TO_STDOUT")
    # None: files when not in debug or testing mode; true/false forces it.
    LOG_TO_FILE = env_bool("LOG_TO_FILE") if os.environ.get("LOG_TO_FILE") else None
    LOG_MAX_BYTES = env_int("LOG_MAX_BYTES", 10 * 1024 * 1024)
    LOG_BACKUP_COUNT = env_int("LOG_BACKUP_COUNT", 10)
    LOG_REQUESTS = env_bool("LOG_REQUESTS", True)
    SLOW_REQUEST_MS = env_int("SLOW_REQUEST_MS", 1000)
    SLOW_QUERY_MS = env_int("SLOW_QUERY_MS", 250)
    # Error emails: None means on when MAIL_SERVER and ADMINS are set and the
    # app is not in debug or testing mode.
    ERROR_EMAILS = env_bool("ERROR_EMAILS") if os.environ.get("ERROR_EMAILS") else None
    ERROR_EMAIL_WINDOW = env_float("ERROR_EMAIL_WINDOW", 600)  # seconds in which repeats are only counted
    # Where error groups are shared between processes: "memory" (this process
    # only), "redis", or a file path. Default: Redis when REDIS_URL is set,
    # else instance/error-alerts.json (every worker on this host).
    ERROR_EMAIL_STATE = os.environ.get("ERROR_EMAIL_STATE") or None
    ERROR_EMAIL_RETRY = env_float("ERROR_EMAIL_RETRY", 10)  # seconds between retries while SMTP is down
    SENTRY_DSN = os.environ.get("SENTRY_DSN") or None
    SENTRY_ENVIRONMENT = os.environ.get("SENTRY_ENVIRONMENT", "production")
    SENTRY_OPTIONS: dict = {}  # extra keyword arguments for sentry_sdk.init
    # Request metrics and /metrics (off only to measure what they cost).
    METRICS_ENABLED = env_bool("METRICS_ENABLED", True)
    # /metrics: open unless a bearer token or a list of networks is set.
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or None
    METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS")  # e.g. "10.0.0.0/8,127.0.0.1/32"
    METRICS_CACHE_SECONDS = env_float("METRICS_CACHE_SECONDS", 30)  # user-count gauges
    # Health checks.
    HEALTH_CACHE_SECONDS = env_float("HEALTH_CACHE_SECONDS", 2)
    HEALTH_CHECK_TIMEOUT = env_float("HEALTH_CHECK_TIMEOUT", 2)
    HEALTH_DISK_MIN_MB = env_int("HEALTH_DISK_MIN_MB", 100)  # free space on the log disk below this fails
    # The detailed /health (version, schema, disk, SMTP): only for these
    # networks, like METRICS_ALLOWED_NETWORKS; empty allows all.
    HEALTH_ALLOWED_NETWORKS = env_list("HEALTH_ALLOWED_NETWORKS")
    REDIS_URL = os.environ.get("REDIS_URL") or None
    # Background jobs (Huey). None: Redis at REDIS_URL when set, else an
    # SQLite file in the instance folder. "sqlite:///path" or "redis://..." choose.
    QUEUE_URL = os.environ.get("QUEUE_URL") or None
    JOB_WORKERS = env_int("JOB_WORKERS", 2)  # threads per `flask worker` process
    JOB_STUCK_SECONDS = env_float("JOB_STUCK_SECONDS", 120)  # a running job silent this long has stopped
    EXPORT_KEEP_HOURS = env_float("EXPORT_KEEP_HOURS", 24)  # how long a finished export can be downloaded
    EXPORT_MAIL_MAX_BYTES = env_int("EXPORT_MAIL_MAX_BYTES", 5 * 1024 * 1024)  # larger exports: a link only
    EXPORT_MAIL_RETRY_SECONDS = env_float("EXPORT_MAIL_RETRY_SECONDS", 60)  # while the mail server is down (60 tries)
    # Circuit breaker for the mail server.
    SMTP_BREAKER_FAILURES = env_int("SMTP_BREAKER_FAILURES", 3)
    SMTP_BREAKER_RESET = env_float("SMTP_BREAKER_RESET", 60)
    # Translating posts (app/translate/): "" (no provider: no Translate link,
    # POST /translate answers 503) or "libretranslate".
    TRANSLATOR = (os.environ.get("TRANSLATOR") or "").strip().lower()
    LIBRETRANSLATE_URL = (os.environ.get("LIBRETRANSLATE_URL") or "").strip().rstrip("/")
    LIBRETRANSLATE_API_KEY = os.environ.get("LIBRETRANSLATE_API_KEY") or ""  # a secret: never logged
    TRANSLATE_TIMEOUT = env_float("TRANSLATE_TIMEOUT", 5)  # seconds for a whole call, answer included
    # Its circuit breaker: after this many failures in a row, no call for TRANSLATE_BREAKER_RESET seconds.
    TRANSLATE_BREAKER_FAILURES = env_int("TRANSLATE_BREAKER_FAILURES", 5)
    TRANSLATE_BREAKER_RESET = env_float("TRANSLATE_BREAKER_RESET", 60)
    # Translations asked for per account (cached answers included).
    TRANSLATE_LIMIT = os.environ.get("TRANSLATE_LIMIT") or "30 per minute;300 per hour"
    PROFILING_ENABLED = env_bool("PROFILING_ENABLED")
    # Behind a reverse proxy: how many proxies' X-Forwarded-* headers to trust (0: none).
    PROXY_FIX_HOPS = env_int("PROXY_FIX_HOPS", 0)
    # X-Forwarded-Prefix is trusted only when the proxy is known to set it
    # itself: otherwise a client could put anything into every built URL.
    PROXY_FIX_PREFIX = env_bool("PROXY_FIX_PREFIX")
    # The site's address for links that leave a request (emails), e.g.
    # https://microblog.example.com. Never taken from the request's Host.
    PUBLIC_URL = (os.environ.get("PUBLIC_URL") or "").strip().rstrip("/") or None
    # Host names the app answers to (Flask's own setting); others get a 400.
    # None (unset) accepts any, as Flask does.
    TRUSTED_HOSTS = env_list("TRUSTED_HOSTS") or None
    # Emails printed to the console instead of sent: on in debug mode when
    # MAIL_SERVER is unset; `make run` sets it.
    MAIL_TO_CONSOLE = env_bool("MAIL_TO_CONSOLE") if os.environ.get("MAIL_TO_CONSOLE") else None
    # Secure cookies: None means on unless in debug or testing mode.
    SECURE_COOKIES = env_bool("SECURE_COOKIES") if os.environ.get("SECURE_COOKIES") else None
    HSTS_SECONDS = env_int("HSTS_SECONDS", 0)  # 0: no Strict-Transport-Security header
    # Login throttling (Flask-Limiter). Counters go to Redis when REDIS_URL is set.
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    LOGIN_LIMIT_PER_ADDRESS = os.environ.get("LOGIN_LIMIT_PER_ADDRESS") or "30 per minute;300 per hour"
    LOGIN_LIMIT_PER_ACCOUNT = os.environ.get("LOGIN_LIMIT_PER_ACCOUNT") or "5 per 15 minutes"
    # Password-reset requests: past either limit the page looks the same, but no email is sent.
    RESET_LIMIT_PER_ADDRESS = os.environ.get("RESET_LIMIT_PER_ADDRESS") or "10 per hour"
    RESET_LIMIT_PER_EMAIL = os.environ.get("RESET_LIMIT_PER_EMAIL") or "3 per hour"
    # Private messages per sending account (web and API together).
    MESSAGE_LIMIT = os.environ.get("MESSAGE_LIMIT") or "20 per minute;200 per day"
    # How often an open page asks /notifications for news (the badge).
    NOTIFICATION_POLL_SECONDS = env_float("NOTIFICATION_POLL_SECONDS", 10)
    # Database connections (PostgreSQL). A worker must never hang on a dead
    # connection: checked before use, connect and statement timeouts, TCP
    # keepalives, and a bounded wait for a free connection.
    DB_POOL_SIZE = env_int("DB_POOL_SIZE", 5)
    DB_MAX_OVERFLOW = env_int("DB_MAX_OVERFLOW", 5)
    DB_POOL_TIMEOUT = env_float("DB_POOL_TIMEOUT", 5)
    DB_CONNECT_TIMEOUT = env_int("DB_CONNECT_TIMEOUT", 3)
    # A pooled connection unused this long is tested before use (0: every checkout).
    DB_PING_IDLE_SECONDS = env_float("DB_PING_IDLE_SECONDS", 5)
    # PostgreSQL: a GET or HEAD reads outside a transaction until it writes
    # (no BEGIN and ROLLBACK round trips). Off: every request in a transaction.
    DB_AUTOCOMMIT_READS = env_bool("DB_AUTOCOMMIT_READS", True)
    DB_STATEMENT_TIMEOUT_MS = env_int("DB_STATEMENT_TIMEOUT_MS", 5000)
    # SQLite: how long a write waits for another connection's lock before
    # failing with "database is locked" (a 503).
    SQLITE_BUSY_TIMEOUT_MS = env_int("SQLITE_BUSY_TIMEOUT_MS", 5000)
    PROFILE_DIR = str(BASE_DIR / os.environ.get("PROFILE_DIR", "profiles"))
    # Werkzeug's default (scrypt) unless overridden; the tests lower the cost.
    PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD") or "scrypt"
    RESET_TOKEN_MAX_AGE = env_int("RESET_TOKEN_MAX_AGE", 600)
    API_TOKEN_TTL = env_int("API_TOKEN_TTL", 3600)  # seconds an API token stays valid
    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 1024 * 1024)  # bytes; larger bodies get 413
    BOOTSTRAP_SERVE_LOCAL = True  # never load Bootstrap from a CDN
    SQLALCHEMY_RECORD_QUERIES = False


class TestConfig(Config):
    TESTING = True
    ERROR_EMAIL_STATE = "memory"  # each test's app groups on its own
    QUEUE_URL = "memory://"  # jobs stay in the test's process; tests with a worker give a file or Redis
    SECRET_KEY = "test-secret-key-not-for-production"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = False
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast hashes, for tests only
    FEED_CHECK_SECONDS = 0.0  # a test sees each change at once; tests of the cache set it
    MAIL_SERVER = None
    MAIL_SUPPRESS_SEND = False
    ADMINS = ["admin@example.com"]
    MAIL_DEFAULT_SENDER = "microblog@example.com"

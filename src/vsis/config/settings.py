"""Settings for vsis, read from the environment.

Defaults give a zero-setup development instance: SQLite under the data folder,
DEBUG on, zh-Hant and Asia/Taipei. Production sets DATABASE_URL, SECRET_KEY,
ALLOWED_HOSTS and DEBUG=0.
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from vsis.config.env import env_bool, env_int, env_list, env_str

PACKAGE_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = PACKAGE_DIR.parent.parent
DATA_DIR = Path(env_str("VSIS_DATA_DIR", str(PROJECT_DIR / "data")))

DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "vsis-development-only-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "vsis.audit",
    "vsis.units",
    "vsis.volunteers",
    "vsis.hours",
    "vsis.jobs",
    "vsis.imports",
    "vsis.reports",
    "vsis.returns",
    "vsis.web",
    "vsis.seed",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "vsis.config.urls"
WSGI_APPLICATION = "vsis.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            "builtins": ["vsis.web.templatetags.roc"],
        },
    }
]

_database_url = env_str("DATABASE_URL", "")
if not _database_url:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    _database_url = f"sqlite:///{DATA_DIR / 'vsis.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        _database_url,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; the busy timeout
    # makes a writer wait for the other instead of failing with "locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON;"
            ),
        }
    )
# Reports may read from a replica (docs/decisions/0009-scaling-out.md). In tests
# the alias mirrors the default database, so the test data is what it reads.
if replica_url := env_str("REPORTS_DATABASE_URL", ""):
    DATABASES["reports"] = dj_database_url.parse(replica_url)
    DATABASES["reports"]["TEST"] = {"MIRROR": "default"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "units.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# One language: every page of ours is written in Chinese, so a browser asking
# for English must not turn Django's own words (the admin, form errors) English.
LANGUAGE_CODE = "zh-hant"
LANGUAGES = [("zh-hant", "繁體中文")]
TIME_ZONE = "Asia/Taipei"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "static")))
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "media/"

# Uploads above this size are streamed to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024

# The queue every job goes to; deployments sharing one Redis name their own.
VSIS_TASK_QUEUE = env_str("VSIS_TASK_QUEUE", "default")
_TASK_BACKENDS = {
    "database": {"BACKEND": "django_tasks_db.DatabaseBackend"},
    "immediate": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    "dummy": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"},
    "rq": {"BACKEND": "django_tasks_rq.RQBackend"},
}
_task_backend = env_str("VSIS_TASK_BACKEND", "database")
if _task_backend not in _TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"VSIS_TASK_BACKEND must be one of {sorted(_TASK_BACKENDS)}"
    )
TASKS = {"default": {**_TASK_BACKENDS[_task_backend], "QUEUES": [VSIS_TASK_QUEUE]}}
if _task_backend == "rq":
    # Optional: `pip install 'vsis[rq]'`; workers are `vsis rq_worker`.
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
# django-rq looks up its connection under "default" whatever the queue's name.
_redis = {"URL": env_str("REDIS_URL", "redis://127.0.0.1:6379/0")}
RQ_QUEUES = {"default": _redis, VSIS_TASK_QUEUE: _redis}

# Report and import jobs (see vsis.jobs).
VSIS_JOB_FILE_DAYS = env_int("VSIS_JOB_FILE_DAYS", 7)
VSIS_JOB_MAX_ATTEMPTS = env_int("VSIS_JOB_MAX_ATTEMPTS", 3)
VSIS_JOB_HEARTBEAT_SECONDS = env_int("VSIS_JOB_HEARTBEAT_SECONDS", 10)
VSIS_JOB_STALE_SECONDS = env_int("VSIS_JOB_STALE_SECONDS", 120)
# Files at or above this many bytes are imported by a background job.
VSIS_IMPORT_BACKGROUND_BYTES = env_int("VSIS_IMPORT_BACKGROUND_BYTES", 512 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
    "loggers": {
        "vsis": {"level": env_str("VSIS_LOG_LEVEL", "INFO"), "propagate": True},
    },
}

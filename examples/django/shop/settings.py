"""Settings of the example shop.

Everything that differs between a laptop, a test run and production comes
from the environment, so that one project shows both a healthy deployment
and every failure django_health_exporter detects:

  DJANGO_DEBUG=1             DEBUG = True (the technical error pages)
  DJANGO_ALLOWED_HOSTS=a,b   ALLOWED_HOSTS
  DJANGO_DB_PATH=/path.db    the SQLite database file
  DJANGO_EMPTY_URLCONF=1     no URLs at all (Django's "install worked" page)
  DJANGO_BEHIND_TLS_PROXY=1  HTTPS ends at a proxy that sends
                             X-Forwarded-Proto: https (SECURE_PROXY_SSL_HEADER)
  DJANGO_CSRF_COOKIE_AGE=0   a CSRF cookie that expires at once (what a
                             browser that dropped it sends: nothing)
  CELERY_BROKER_URL=redis:// the broker; the health check pings the workers
  DJANGO_CELERY_BEAT=1       django-celery-beat's DatabaseScheduler (its app)
  SHOP_BEAT_SCALE=1.0        the beat schedule's intervals, scaled (tests
                             run it fast)

It runs on Django 3.2 to 6.x, with django-health-check 3.x (an app per
check, include("health_check.urls")) or 4.x (one view listing its checks,
in urls.py), and without Celery installed (the web process of a Python
that has no Celery).
"""
import importlib.util
import os

import django
from pathlib import Path

try:
    from celery.schedules import crontab
    from kombu import Queue
except ImportError:
    crontab = Queue = None

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-a-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1").split(",")

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "health_check",
    # pip install django-health-exporter: /healthz, /readyz, X-Release.
    "django_health_exporter",
    "shop",
]
# django-health-check 4.x configures its checks on the view (urls.py);
# 3.x has an app per check.
HEALTH_CHECK_4 = importlib.util.find_spec("health_check.checks") is not None
if not HEALTH_CHECK_4:
    INSTALLED_APPS += ["health_check.db", "health_check.cache", "health_check.storage", "health_check.contrib.migrations"]
    if CELERY_BROKER_URL:
        INSTALLED_APPS.append("health_check.contrib.celery_ping")
if os.environ.get("DJANGO_CELERY_BEAT") == "1":
    INSTALLED_APPS.append("django_celery_beat")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Every answer says its release (DJANGO_HEALTH_EXPORTER_RELEASE) in
    # X-Release: the probe's django.release reads it.
    "django_health_exporter.middleware.ReleaseMiddleware",
]

ROOT_URLCONF = "shop.empty_urls" if os.environ.get("DJANGO_EMPTY_URLCONF") == "1" else "shop.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "shop.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DJANGO_DB_PATH", str(BASE_DIR / "db.sqlite3")),
    }
}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/account/"
LOGOUT_REDIRECT_URL = "/"
if os.environ.get("DJANGO_BEHIND_TLS_PROXY") == "1":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if os.environ.get("DJANGO_CSRF_COOKIE_AGE"):
    CSRF_COOKIE_AGE = int(os.environ["DJANGO_CSRF_COOKIE_AGE"])

STATIC_URL = "/static/"
STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles"))
# How the static files are stored, as deploys do it (DJANGO_STATIC_STORAGE):
# plain, manifest (hashed names, staticfiles.json) or whitenoise (WhiteNoise
# serves them from the Django process, compressed, from its manifest).
_STATIC_STORAGE = {
    "manifest": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage",
    "whitenoise": "whitenoise.storage.CompressedManifestStaticFilesStorage",
}.get(os.environ.get("DJANGO_STATIC_STORAGE", ""), "django.contrib.staticfiles.storage.StaticFilesStorage")
if django.VERSION >= (4, 2):
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": _STATIC_STORAGE},
    }
else:
    STATICFILES_STORAGE = _STATIC_STORAGE
if os.environ.get("DJANGO_STATIC_STORAGE") == "whitenoise":
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
MEDIA_ROOT = os.environ.get("DJANGO_MEDIA_ROOT", str(BASE_DIR / "media"))
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

# Celery: the broker is Redis; results are not needed for heartbeats.
CELERY_TASK_IGNORE_RESULT = True
# Two queues: reports are slow and must not hold up the rest.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = (Queue("default"), Queue("reports")) if Queue else ()
CELERY_TASK_ROUTES = {"shop.tasks.nightly_report": {"queue": "reports"}, "shop.tasks.slow_report": {"queue": "reports"}}
# The beat schedule: every entry is watched by django_health_exporter
# (connect_celery registers each with its schedule when beat starts).
_scale = float(os.environ.get("SHOP_BEAT_SCALE", "1"))
CELERY_BEAT_SCHEDULE = {
    "refresh prices": {"task": "shop.tasks.refresh_prices", "schedule": 300.0 * _scale},
    "import products": {"task": "shop.tasks.import_products", "schedule": 600.0 * _scale},
}
if crontab:
    CELERY_BEAT_SCHEDULE["weekly newsletter"] = {
        "task": "shop.tasks.refresh_prices",
        "schedule": crontab(minute=0, hour=7, day_of_week="mon"),
    }
CELERY_BEAT_SCHEDULE_FILENAME = os.environ.get("CELERY_BEAT_SCHEDULE_FILENAME", "celerybeat-schedule")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# Load the Celery app when Django starts, so that @shared_task uses it.
try:
    from .celery import app as celery_app  # noqa: F401
except ImportError:  # Celery is optional for the web process
    celery_app = None

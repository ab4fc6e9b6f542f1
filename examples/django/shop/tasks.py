import time

from celery import shared_task


@shared_task
def nightly_report(fail=False, seconds=0.5):
    """A report that takes a while, and can be told to fail."""
    time.sleep(seconds)
    if fail:
        raise RuntimeError("the report database is unreachable")
    return "report sent"


@shared_task
def slow_report(seconds=10):
    """A report slow enough to hold up the reports queue."""
    time.sleep(seconds)


@shared_task
def refresh_prices():
    """A quick periodic task."""
    return "prices refreshed"


@shared_task(bind=True, max_retries=3)
def import_products(self):
    """A flaky import: its first attempt fails and is retried, the retry
    works. The run is not a failure."""
    if self.request.retries == 0:
        raise self.retry(countdown=0.2, exc=RuntimeError("the supplier's API timed out"))
    return "imported"


@shared_task(heartbeat_progress=1)
def rebuild_search_index(seconds=5):
    """A long job that says it is alive while it works: the helper sends a
    progress ping every heartbeat_progress seconds (1 here, for the tests;
    a minute in real life), so a run longer than max_runtime is not
    overrunning while it progresses."""
    time.sleep(seconds)
    return "index rebuilt"

import time

from celery import shared_task


@shared_task
def nightly_report(fail=False, seconds=0.5):
    """A report that takes a while, and can be told to fail."""
    time.sleep(seconds)
    if fail:
        raise RuntimeError("the report database is unreachable")
    return "report sent"

"""Django 6 tasks that report through heartbeats (settings TASKS)."""

from django.tasks import task


@task
def send_report() -> int:
    return 3


@task
def broken_report() -> None:
    raise ValueError("the report has no rows")

"""The reports' schedule, in django-celery-beat's tables (so it is in the database after migrate, and an
administrator can see and pause it there): the previous quarter's report on the 5th day after the quarter ends,
and the previous year's in January. Each run fans out to every program (reports.tasks)."""

from __future__ import annotations

from typing import Any

from django.db import migrations

SCHEDULES = (
    # name, task, crontab (minute, hour, day of month, month of year)
    ("reports-quarterly", "reports.schedule_quarterly_all", ("0", "3", "5", "1,4,7,10")),
    ("reports-yearly", "reports.schedule_yearly_all", ("30", "3", "10", "1")),
)


def add_schedule(apps: Any, schema_editor: Any) -> None:
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, (minute, hour, day_of_month, month_of_year) in SCHEDULES:
        crontab, _created = crontab_model.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_week="*",
            day_of_month=day_of_month,
            month_of_year=month_of_year,
            timezone="Europe/Stockholm",
        )
        task_model.objects.update_or_create(
            name=name, defaults={"task": task, "crontab": crontab, "enabled": True, "queue": None}
        )


def remove_schedule(apps: Any, schema_editor: Any) -> None:
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__in=[name for name, _task, _cron in SCHEDULES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_reports"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]

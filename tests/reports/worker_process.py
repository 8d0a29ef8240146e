"""The project's Celery worker, run as a separate process by tests/reports/test_worker_killed.py.

``python tests/reports/worker_process.py [--stall] <celery worker arguments>`` starts gvi.celery's app with the
real reports.build_report task, with two test settings:

- Redis looks for unacknowledged messages whose visibility timeout has passed every second (kombu's default
  is every tenth poll of a 10-second timer, so a redelivery could take 100 s beyond the timeout);
- with ``--stall``, rendering the PDF first sleeps for a minute, which holds the build in the RUNNING state
  long enough for the test to see it there and kill the process with SIGKILL, as the kernel's OOM killer or a
  lost node would.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

STALL_SECONDS = 60


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gvi.settings")
    import django

    django.setup()
    from gvi.celery import app

    app.conf.broker_transport_options = {
        **app.conf.broker_transport_options,
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }
    if "--stall" in argv:
        argv.remove("--stall")
        from reports import pdf
        from reports.models import Report

        render = pdf.render_pdf

        def stalled_render(report: Report) -> bytes:
            time.sleep(STALL_SECONDS)
            return render(report)

        pdf.render_pdf = stalled_render  # reports.services.build imports it at call time
    app.worker_main(argv=["worker", *argv])


if __name__ == "__main__":
    main(sys.argv[1:])

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from gvi.demo import DEMO_PASSWORD, PERSONAS


class Command(BaseCommand):
    help = "Print the demo personas' logins. Only with DEMO_MODE on."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError("demo_logins works only with DEMO_MODE (or DEBUG) on.")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for spec in PERSONAS:
            self.stdout.write(f"  {spec.username:<8} {spec.first_name} {spec.last_name}: {spec.description}")
        self.stdout.write("One-time code for a persona: .venv/bin/python manage.py demo_totp <username>")

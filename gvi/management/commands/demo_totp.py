from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from gvi.demo import PERSONAS, current_totp


class Command(BaseCommand):
    help = "Print a demo persona's current one-time code. Only with DEMO_MODE on (make run sets it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("persona", choices=[p.username for p in PERSONAS])

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError("demo_totp works only with DEMO_MODE (or DEBUG) on.")
        self.stdout.write(current_totp(options["persona"]))

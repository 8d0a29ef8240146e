from typing import Any

from django.core.management.base import BaseCommand

from gvi.demo import build_demo


class Command(BaseCommand):
    help = "Load the demo programs, personas and data (idempotent; dates relative to today)."

    def handle(self, *args: Any, **options: Any) -> None:
        named = build_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo loaded ({len(named)} named objects)."))

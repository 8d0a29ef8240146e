from django.apps import AppConfig


class GviConfig(AppConfig):
    """The platform itself: template tags, management commands, the Swedish catalogue."""

    name = "gvi"
    verbose_name = "Sluta skjut"

    def ready(self) -> None:
        from gvi import access

        access.connect_signals()

from django.apps import AppConfig


class GviConfig(AppConfig):
    """The platform itself: template tags, management commands, the Swedish catalogue."""

    name = "gvi"
    verbose_name = "Sluta skjut"

    def ready(self) -> None:
        from gvi import access, checks  # noqa: F401  (registers the deploy check)

        access.connect_signals()

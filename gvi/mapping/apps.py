from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MappingConfig(AppConfig):
    name = "gvi.mapping"
    label = "mapping"
    verbose_name = _("Group mapping")

    def ready(self) -> None:
        from gvi.mapping import panels, retention, timeline

        panels.register()
        timeline.register()
        retention.register_categories()

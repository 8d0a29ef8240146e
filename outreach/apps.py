from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "outreach"
    verbose_name = _("Exit program")

    def ready(self) -> None:
        from outreach import panels, retention, timeline

        panels.register()
        timeline.register()
        retention.register_categories()

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InterventionsConfig(AppConfig):
    name = "interventions"
    verbose_name = _("Call-ins and custom notifications")

    def ready(self) -> None:
        from interventions import panels, timeline

        panels.register()
        timeline.register()

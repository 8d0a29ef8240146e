from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Person case files")

    def ready(self) -> None:
        from cases import panels, retention, timeline

        panels.register()
        timeline.register()
        retention.register_categories()

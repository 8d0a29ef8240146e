from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RetentionConfig(AppConfig):
    name = "gvi.retention"
    label = "retention"
    verbose_name = _("Retention")

    def ready(self) -> None:
        from gvi.retention import categories

        categories.register_platform()

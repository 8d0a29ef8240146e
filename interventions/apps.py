from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InterventionsConfig(AppConfig):
    name = "interventions"
    verbose_name = _("Call-ins, custom notifications, enforcement and responses")

    def ready(self) -> None:
        from gvi.accounts.signals import staff_access_ended
        from gvi.mapping.signals import incident_corrected
        from interventions import panels, timeline
        from interventions.services.feeds import feeds_end
        from interventions.services.responses import response_follow_incident

        panels.register()
        timeline.register()
        # A deactivated staff member's feed address, or one whose role or agency changed, stops at once.
        staff_access_ended.connect(
            lambda sender, staff, actor, **kwargs: feeds_end(staff=staff, actor=actor),
            dispatch_uid="interventions.end_calendar_feeds",
            weak=False,
        )
        # A corrected incident moves its response's summary and open deadlines with it.
        incident_corrected.connect(
            lambda sender, actor, incident, before, **kwargs: response_follow_incident(
                actor=actor, incident=incident, before=before
            ),
            dispatch_uid="interventions.response_follows_incident",
            weak=False,
        )

"""Person case files over the API: persons (aliases, guardians, photo), agency sections and journals,
consents, shares and reports of concern. The same policy, services and audit as the pages."""

from cases.api.persons import AliasViewSet, GuardianViewSet, PersonViewSet
from cases.api.sections import PoliceSectionViewSet, ProbationSectionViewSet, SocialSectionViewSet
from cases.api.sharing import ConcernViewSet, ConsentViewSet, ShareViewSet

__all__ = [
    "AliasViewSet",
    "ConcernViewSet",
    "ConsentViewSet",
    "GuardianViewSet",
    "PersonViewSet",
    "PoliceSectionViewSet",
    "ProbationSectionViewSet",
    "ShareViewSet",
    "SocialSectionViewSet",
]

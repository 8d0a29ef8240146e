"""Every write to person case files. Keyword-only, atomic, policy-checked, audited in the same transaction.

persons: the person record, aliases, guardians, photo · sections: agency sections and journal notes ·
sharing: consents and shares · concern: reports of concern.
"""

from cases.services.concern import concern_assess, concern_file, concern_receive
from cases.services.merge import person_merge
from cases.services.persons import (
    CONTACT_FIELDS,
    EDITABLE_FIELDS,
    alias_add,
    alias_remove,
    contact_visible,
    guardian_add,
    guardian_remove,
    person_create,
    person_photo_remove,
    person_photo_set,
    person_update,
)
from cases.services.sections import note_add, section_create, section_update
from cases.services.sharing import (
    consent_record,
    consent_revoke,
    share_create,
    share_link,
    share_revoke,
    shares_tidy,
)
from cases.services.subject_access import subject_access_create, subject_access_redact, subject_access_release

__all__ = [
    "CONTACT_FIELDS",
    "EDITABLE_FIELDS",
    "alias_add",
    "alias_remove",
    "concern_assess",
    "concern_file",
    "concern_receive",
    "consent_record",
    "consent_revoke",
    "contact_visible",
    "guardian_add",
    "guardian_remove",
    "note_add",
    "person_create",
    "person_merge",
    "person_photo_remove",
    "person_photo_set",
    "person_update",
    "section_create",
    "section_update",
    "share_create",
    "share_link",
    "share_revoke",
    "shares_tidy",
    "subject_access_create",
    "subject_access_redact",
    "subject_access_release",
]

"""Permission-matrix rows for the person timeline (page and API): only those who may open the person in
full see their timeline; an identity-only view through a share (Petra and Anders on Kriminalvården's
record of Adam) gives 404 here, like everyone else's."""

from __future__ import annotations

from tests.cases.matrix import PERSON_SUBJECTS, SEES
from tests.matrix import OK, Row, only, register

# Who may open the timeline of each scope person: the persons of tests/cases/matrix.py, and the two children.
TIMELINE_SEES = {**SEES, "malmo_minor_person": ("sara", "erik"), "malmo_police_minor": ("petra", "anders")}

# Scope objects (names in gvi.demo.build_demo) these rows rely on; test_out_of_scope_objects_exist checks them.
SUBJECTS: tuple[str, ...] = (*PERSON_SUBJECTS, "malmo_minor_person", "malmo_police_minor")

for subject in SUBJECTS:
    allowed = only(dict.fromkeys(TIMELINE_SEES[subject], OK))
    register(
        Row("cases:person-timeline", "GET", subject, allowed),
        Row("api:person-timeline", "GET", subject, allowed),
    )

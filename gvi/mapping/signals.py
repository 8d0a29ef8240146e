"""Signals the group map sends, so that apps built on it follow its corrections without mapping importing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction after the police correct an incident. Arguments: actor, incident (fresh),
# before (the old incident row), fields (names of the fields that changed).
incident_corrected = Signal()

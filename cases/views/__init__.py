"""Person case file pages. Thin: selectors read, services write, the policy decides.

persons: list, search, detail, create, edit · parts: photo, aliases, guardians, consents ·
sections: agency sections and journal notes · sharing: shares and reports of concern.
"""

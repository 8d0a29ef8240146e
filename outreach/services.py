"""services of outreach: filled in by its issue (see DESIGN.md for the app shape)."""

"""tasks of cases."""

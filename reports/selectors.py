"""selectors of reports: the reports' numbers are computed in reports/metrics.py (through access.countable, never
rows), shown through reports/suppression.py and defined in reports/definitions.py."""

"""`make bench`: the measurements behind DESIGN.md "Performance targets", written to BENCHMARKS.md.

`routes` names what is measured, `measure` measures it in process (Django's test client, the access filter's
query against the unfiltered floor, the quarterly report build), `load` runs the locust test against a
loopback gunicorn, `markdown` writes the file. The management command `bench` puts them together.
"""

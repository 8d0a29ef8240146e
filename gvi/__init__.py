"""Sluta skjut case management: the project package and the platform every app stands on."""

from gvi.celery import app as celery_app

__all__ = ["celery_app"]

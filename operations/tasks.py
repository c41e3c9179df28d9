"""Celery tasks of the dashboard's own operations. Thin: each calls a service."""

"""The HTTP API (FastAPI): subscriptions, confirm/unsubscribe links, incidents, admin, health."""

from alerts.api.app import create_app

__all__ = ["create_app"]

"""The web API: a FastAPI application built from the settings and the platform's apps."""

from policecloud.platform.api.factory import create_app

__all__ = ["create_app"]

"""FastAPI application: ``create_app(settings)``; one router module per domain under ``api/routes``."""

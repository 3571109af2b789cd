"""The HTTP API and web catalogue (FastAPI)."""

"""lakefs: a high-level Python SDK for lakeFS."""

"""Code written by ``codegen/`` from the lakeFS OpenAPI document (``make generate``).

Never edited by hand.
"""

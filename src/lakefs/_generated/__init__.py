# Generated from the lakeFS 1.86.0 OpenAPI document by codegen/ (make generate). Do not edit.
"""Resource classes generated from ``codegen/mapping.yaml``; see ``lakefs`` for the public API."""

from lakefs._generated.branch import Branch
from lakefs._generated.reference import Reference
from lakefs._generated.repository import Repository
from lakefs._generated.tag import Tag

__all__ = [
    "Repository",
    "Reference",
    "Branch",
    "Tag",
]

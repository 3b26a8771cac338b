"""The case-lifecycle contract: plain Python and marshmallow, no broker or database code."""

"""The rules of the service: plain functions that change models and flush, never commit.

Routes commit once, at the request boundary; the CLI commits once per unit of work.
"""

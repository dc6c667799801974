"""Benchmarks of the proxy: ``python -m benchmarks.run`` prints issue #11's table.

A package so its modules run with ``python -m benchmarks.<module>`` from the repository root
and import the shared process helpers in ``tests.support`` without touching ``sys.path``.
"""

"""Benchmarks of the reference runtime against its performance targets.

Run them with ``python -m benchmarks.run`` (see README.md here).
"""

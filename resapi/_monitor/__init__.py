"""The Resource Monitor: hosts of one resource instance, in-process or in a child process.

See docs/resource-api.md and docs/architecture.md.
"""

"""A module whose import fails, for tests/reference/test_type_import_paths.py."""

raise RuntimeError("boom at import")

"""Resource types for tests/test_separate_monitor.py, imported by the monitor processes."""

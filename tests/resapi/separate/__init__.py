"""Resource types for tests/resapi/test_separate_monitor.py, imported by the monitor processes."""

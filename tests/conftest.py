from __future__ import annotations

pytest_plugins = ["clusapi.testing.pytest_plugin"]

"""The in-process reference runtime behind clusapi.testing.open_reference_cluster."""

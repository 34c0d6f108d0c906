"""Example resource types and applications for clusapi/resapi."""

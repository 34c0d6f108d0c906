"""The Cluster API contract suite: one set of behaviour tests, run on every backend."""

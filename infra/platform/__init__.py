"""GCP side of a stack: cluster, node pools, node identity, registry."""

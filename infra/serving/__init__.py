"""TF Serving workloads: flags, config files and the Kubernetes objects per model server."""

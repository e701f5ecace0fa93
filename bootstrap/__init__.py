"""Day 0: the Pulumi project an administrator applies once before servestack can deploy."""

"""servestack: TensorFlow Serving on GKE as one Pulumi program, one stack per environment."""

"""Model images: build context assembly (pure) and the image resource."""

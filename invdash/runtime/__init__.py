"""Runtime services many parts need: the torch device choice and the offline text embeddings.

- ``device``: CUDA when present, else CPU, and the precision; nothing else picks a device.
- ``embeddings``: product-title vectors from the MiniLM encoder shipped in an installed package.
"""

"""Layer 1, the basics: class names, configuration ranges, errors, readers, the cache, worker
processes (parallel), provenance. Imports nothing else of atnet."""

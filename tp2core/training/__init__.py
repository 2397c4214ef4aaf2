"""One (variant, seed) trained: run identity and result, the trainer, backend set-up, hardware."""

"""tp2 perf: trainer throughput against a matmul-only floor."""

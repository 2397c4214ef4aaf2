"""What a session writes: terminal and Markdown tables, the gate, pytest-benchmark JSON, the report."""

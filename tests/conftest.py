import sys
from pathlib import Path

# tests/ helpers (runs_factory, helpers_cifar) import as plain modules
sys.path.insert(0, str(Path(__file__).parent))

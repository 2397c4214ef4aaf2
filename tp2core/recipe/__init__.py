"""The notes' recipe as values: variants and profiles, the networks, augmentation, cost estimates."""

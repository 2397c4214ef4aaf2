"""Claims: what the notes concluded as data, the statistics and checks that judge it."""

"""tp2: re-check a lab notebook's deep-learning conclusions as seeded, statistically judged claims.

Importing this package is cheap: nothing here imports TensorFlow or Keras.
"""

__version__ = "0.1.0"

"""Marks this directory as the tp2 claim suite: the plugin resolves the dataset, prints progress and tables,
writes the report and applies the gate only when it is loaded (`pytest benchmarks …`)."""

tp2_suite = True

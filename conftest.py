pytest_plugins = ["tp2core.plugin"]

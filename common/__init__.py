"""What the data preparation, the recipes and the evaluation share: Python source handling, the Alpaca prompt, the vendored benchmark sets, generated-file sync, the launch environment."""

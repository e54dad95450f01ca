"""The models the project runs without the hub: Gemma 3 270M from its PyPI GGUF, a tiny random Mistral."""

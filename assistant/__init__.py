"""The fine-tuned coder as a local assistant: merge an adapter into its base and export GGUF files
(`export`), serve one with llama.cpp's OpenAI-compatible server (`serve`), and ask it for code (`chat`)."""

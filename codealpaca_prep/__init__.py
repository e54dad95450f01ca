"""CodeAlpaca-20k → Python-only, cleaned, deduplicated, decontaminated instruction data for Axolotl."""

"""Evaluation: benchmark documents and prompts, code extraction, sandbox grading, quality metrics, the lm-eval glue."""

"""Reports built from evaluation results and benchmark rows: results.md, performance.md."""

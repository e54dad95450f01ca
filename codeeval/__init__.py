"""Shared code-evaluation core: sandboxed execution, code extraction, metrics, benchmark loading."""

"""Output: files written whole or not at all, terminal tables, the HTML report."""

from optimizer.output.files import write_comparison, write_result

__all__ = ["write_comparison", "write_result"]

"""The helpers of ../shared/bench/side-by-side (wrk, wait_200, rss_kb, cpu_s), loaded as a
module for the benchmarks here (the file has no .py suffix, so it is loaded by path)."""
import importlib.machinery, importlib.util
from pathlib import Path

_path = Path(__file__).resolve().parent.parent.parent / "shared/bench/side-by-side"
_loader = importlib.machinery.SourceFileLoader("side_by_side", str(_path))
_spec = importlib.util.spec_from_loader("side_by_side", _loader)
sbs = importlib.util.module_from_spec(_spec)
_loader.exec_module(sbs)

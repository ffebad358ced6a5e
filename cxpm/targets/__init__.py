"""Targets: what each metric should achieve, per scope and period, and where the number
came from (a benchmark). model.py defines a target and how a value is judged against it;
store.py keeps targets in the app database (audited); book.py finds the target that
applies to a scorecard cell; files.py imports and exports them; suggest.py proposes targets
from the operation's own distribution and from external benchmarks."""

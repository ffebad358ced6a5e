"""Performance review: statistical process control (control charts and run rules)."""

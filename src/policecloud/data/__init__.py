"""TODO: say what this package holds and why."""

"""Use cases of the base package: validate, change, flush. The caller commits."""

"""Evaluations: the CPR benchmark (``crsagent.evals.cpr``) and, beside it, the general framework."""

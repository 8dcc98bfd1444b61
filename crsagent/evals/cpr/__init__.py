"""The CPR benchmark (EAR / SCPR / UNICORN protocol): a configuration of the evaluation core.

The rule user and a knowledge-graph policy exchange structured turns (``crsagent.evals.structured``);
the core's runner, episode log, metrics and report do the rest. ``run_cpr(CprRunConfig(dataset=
"crs-lastfm"))`` (``crsagent.evals.cpr.evaluate``) plays every episode of the test split; the CLI is
``crsagent eval cpr``. The protocol is DESIGN.md's "The CPR benchmark protocol".
"""

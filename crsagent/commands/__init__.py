"""Sub-commands of the ``crsagent`` CLI, one module per command group (each has ``register``)."""

"""Bolt listeners, one module per feature; each ``register`` adds its commands, buttons and forms."""

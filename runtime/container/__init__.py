"""Running one container: its spec, the launch sequence, exec, logs, restart and health rules,
and its records. ``compose`` reaches this through ``runtime.api.containers`` only."""

"""The ``camunda-worker`` sub-commands (each module is imported only when its command runs)."""

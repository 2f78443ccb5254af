"""The window: PySide6 widgets and item models over the job service (see docs/design.md, "Processes")."""

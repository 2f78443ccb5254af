"""RQ job functions, workers, the job service and the service manager: no PySide6."""

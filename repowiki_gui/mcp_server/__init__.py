"""`repowiki mcp`: the Model Context Protocol server for coding agents (stdio).

Like cli/, a place that builds objects: ``server`` defines the tools over
core's readers and the job service, ``services`` finds or starts the services
a session's jobs need and stops them at its end.  Nothing below imports this
package (pyproject's import-linter contracts).
"""

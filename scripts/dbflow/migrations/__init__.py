"""Migrations: discovery, history, planning, the runner and its lock, status, repair, new files,
the extension check, and the template databases a reset clones."""

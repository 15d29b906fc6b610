"""The community service's pure rules: working days, the application workflow, form checks and
grid geometry. No database, no messaging (import-linter enforces)."""

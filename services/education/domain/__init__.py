"""Pure logic of the education service: student numbers, school years, grading, supervision.

No database, broker or framework here (import-linter holds ``services.*.domain`` to it).
"""

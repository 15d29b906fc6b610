"""The education service's use cases, one module per seam: ``cards`` (e-student IDs),
``exams`` (grading, reports, supervision) and ``schools`` (schools, teachers, lessons).

Each takes the worker's ``UnitOfWork``, writes, puts the events its change causes in the
outbox and audits the access to personal data; the entrypoint (``service.py``) commits.
"""

"""The community service's use cases, one module per seam: ``applications`` (the one-stop
workflow, with ``application_views`` shaping what each reader sees), ``catalogue`` (the
versioned affairs), ``documents`` (uploads kept outside the database rows) and ``grid``
(cells, base data, incidents).

Each takes the worker's ``UnitOfWork``, writes, puts the events its change causes in the
outbox and audits the access to personal data; the entrypoint (``service.py``) commits.
"""

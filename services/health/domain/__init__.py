"""The health service's pure rules: FHIR validation and indexing, access, consultations,
statistics. No database, broker or framework here (import-linter holds it so)."""

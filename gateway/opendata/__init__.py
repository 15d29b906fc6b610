"""The open-data portal's CKAN face: the catalogue of datasets (``catalogue``), CKAN's
shapes and package search (``metadata``), live records and datastore search (``records``),
the actions (``actions``) and what is rendered (``render``). Routes: ``gateway/routes/
opendata.py``; parameters: ``shared/contracts/opendata.py``; see ``README.md`` here."""

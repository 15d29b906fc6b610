"""The API viewer page around Swagger UI (static files, served by ``gateway.routes.ops``)."""

"""Pure tourism logic: benefits, prices, ticket codes, opening hours (no database, no broker)."""

"""Contracts between services: the event envelope, the event catalogue, RPC payload schemas."""

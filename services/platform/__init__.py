"""The platform service: citizen identity, API clients, the audit log and the base registries.

See README.md in this folder for its RPC methods, events and configuration.
"""

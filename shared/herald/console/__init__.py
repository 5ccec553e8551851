"""The operator console: server-rendered pages of a workspace's messages and of the event
web, behind a per-workspace sign-in (``sessions``); the routes are ``herald.api.routes.console``."""

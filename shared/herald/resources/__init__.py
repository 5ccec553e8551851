"""The API's resources: what a workspace keeps (profiles, lists, templates, brands, ...)."""

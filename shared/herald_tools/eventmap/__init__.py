"""The map of the event web, generated from the registry: AsyncAPI, Mermaid, DOT and SVG."""

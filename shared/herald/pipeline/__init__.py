"""The pipeline's stages, each named after what it does: accepting a send, fanning it
out, relaying events, rendering, delivering, the summaries the list API reads,
sweeping, canceling, feedback, and the customer webhooks observer. Free of
transport concerns: the entry points decode what arrives and call one of them.
"""

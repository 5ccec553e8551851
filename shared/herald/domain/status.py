"""Message statuses, in Courier's names, and the order they move in."""

from enum import StrEnum


class MessageStatus(StrEnum):
    ENQUEUED = "ENQUEUED"
    DELAYED = "DELAYED"  # waiting for Courier's delay.duration / delay.until
    ROUTED = "ROUTED"
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    OPENED = "OPENED"  # the recipient opened it (a tracking pixel, a provider's open event)
    CLICKED = "CLICKED"  # the recipient followed one of its links
    UNDELIVERABLE = "UNDELIVERABLE"
    UNROUTABLE = "UNROUTABLE"
    CANCELED = "CANCELED"  # canceled through the API before it was sent
    # A list send's own record, once every subscriber has a message of their own.
    FANNED_OUT = "FANNED_OUT"
    # Collected into the user's digest of its topic: the digest's release is what is sent.
    DIGESTED = "DIGESTED"


class Reason(StrEnum):
    NO_CHANNELS = "NO_CHANNELS"
    NO_PROVIDERS = "NO_PROVIDERS"
    PROVIDER_ERROR = "PROVIDER_ERROR"
    OUTCOME_UNKNOWN = "OUTCOME_UNKNOWN"
    UNSUBSCRIBED = "UNSUBSCRIBED"  # the recipient opted out of the message's topic
    OPT_IN_REQUIRED = "OPT_IN_REQUIRED"  # an opt-in topic the recipient never opted in to
    UNPUBLISHED = "UNPUBLISHED"  # the template named does not exist (any more)
    FAILED = "FAILED"  # the content could not be rendered, or a list or brand is gone
    BOUNCED = "BOUNCED"  # the recipient's provider refused it after it was sent
    EXPIRED = "EXPIRED"  # not sent before the send's ``expiry``


# Where the pipeline stops for a message. SENT is an end of the pipeline but not
# final: a later receipt may still move it to DELIVERED.
PIPELINE_END = frozenset(
    {
        MessageStatus.SENT,
        MessageStatus.DELIVERED,
        MessageStatus.OPENED,
        MessageStatus.CLICKED,
        MessageStatus.UNDELIVERABLE,
        MessageStatus.UNROUTABLE,
        MessageStatus.CANCELED,
        MessageStatus.FANNED_OUT,
        MessageStatus.DIGESTED,
    }
)

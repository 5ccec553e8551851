"""The OpenAPI declarations of the core routes (send, messages and the directory APIs).

Route modules added later may instead declare their own ``OPERATIONS`` next to
their ``router`` (see ``herald.api.operation``); both are gathered.
"""

from __future__ import annotations

from herald.api import models as m
from herald.api import models_directory as d
from herald.api.operation import Answer, Operation, Query, cursor
from herald.domain.send import SendRequest
from herald.domain.status import MessageStatus
from herald.events.registry import EVENTS
from herald.resources.brands import BrandBody
from herald.resources.lists import ListBody, SubscribeUserBody, SubscriptionsBody
from herald.resources.profiles import ProfileBody
from herald.resources.templates import TemplateBody

NO_CONTENT = Answer(204, None, "done; no body")

SEND = (
    Operation(
        "POST",
        "/send",
        "Send a message",
        "Send",
        (
            Answer(202, m.SendAccepted, "accepted; the message goes through the pipeline"),
            Answer(413, m.ErrorBody, "the body is over 256 KiB, the most a message can hold"),
        ),
        request=SendRequest,
        description=(
            "Courier's send: one request, one or more recipients. "
            "Send `Idempotency-Key` to make retries safe."
        ),
    ),
)

MESSAGES = (
    Operation(
        "GET",
        "/messages",
        "List messages",
        "Messages",
        (Answer(200, m.MessageList, "a page of summaries, newest first"),),
        description=(
            "Courier's filters `list`, `provider` and `tenant_id` are refused (400) rather "
            "than ignored: Herald cannot apply them yet."
        ),
        query=(
            Query("requestId", "messages of one send request (Herald's name)"),
            Query("messageId", "Courier's name for requestId: the id /send answered"),
            Query(
                "status", "one or more statuses (repeat)", repeated=True, enum=tuple(MessageStatus)
            ),
            Query("recipient", "the recipient (user id, address)"),
            Query("traceId", "metadata.trace_id given at send"),
            Query("notification", "the template sent"),
            Query("event", "Courier's other name for notification"),
            Query("archived", "accepted; Herald archives no message, so it changes nothing"),
            Query("tag", "a tag (repeat for any of several)", repeated=True),
            Query("tags", "comma-separated tags: any of them"),
            Query("enqueued_after", "ISO 8601 time with its zone, or epoch milliseconds"),
            cursor("messages"),
            Query("limit", "page size, 1 to 100 (default 50)"),
        ),
    ),
    Operation(
        "GET",
        "/messages/{message_id}",
        "Get a message",
        "Messages",
        (Answer(200, m.MessageView, "the message's state"),),
    ),
    Operation(
        "GET",
        "/messages/{message_id}/history",
        "Get a message's history",
        "Messages",
        (Answer(200, m.MessageHistory, "the message's events in order"),),
        query=(
            Query(
                "type",
                "only events of this type",
                enum=tuple(sorted({spec.history_type for spec in EVENTS})),
            ),
        ),
    ),
    Operation(
        "GET",
        "/messages/{message_id}/output",
        "Get a message's rendered content",
        "Messages",
        (Answer(200, m.MessageOutput, "what was rendered for each channel"),),
    ),
    Operation(
        "POST",
        "/messages/{message_id}/cancel",
        "Cancel a message",
        "Messages",
        (
            Answer(200, m.MessageView, "canceled"),
            Answer(409, m.MessageView, "too late (sent, or ended): the message, unchanged"),
        ),
    ),
    Operation(
        "GET",
        "/requests/{request_id}",
        "Get a send request and its messages",
        "Messages",
        (Answer(200, m.RequestView, "the request and each message it made"),),
    ),
)

PROFILES = (
    Operation(
        "GET",
        "/profiles/{user_id}",
        "Get a profile",
        "Profiles",
        (Answer(200, d.ProfileView, "the stored profile"),),
    ),
    Operation(
        "POST",
        "/profiles/{user_id}",
        "Create or merge into a profile",
        "Profiles",
        (Answer(200, d.Succeeded, "merged: the given keys replace theirs, the others stay"),),
        request=ProfileBody,
    ),
    Operation(
        "PUT",
        "/profiles/{user_id}",
        "Replace a profile",
        "Profiles",
        (Answer(200, d.Succeeded, "replaced"),),
        request=ProfileBody,
    ),
    Operation("DELETE", "/profiles/{user_id}", "Delete a profile", "Profiles", (NO_CONTENT,)),
)

LISTS = (
    Operation(
        "GET",
        "/lists",
        "List lists",
        "Lists",
        (Answer(200, d.ListPage, "a page of lists"),),
        query=(
            Query("pattern", "dot-separated list id pattern: `*` one part, `**` any rest"),
            cursor("lists"),
        ),
    ),
    Operation(
        "GET", "/lists/{list_id}", "Get a list", "Lists", (Answer(200, d.ListView, "the list"),)
    ),
    Operation(
        "PUT",
        "/lists/{list_id}",
        "Create or update a list",
        "Lists",
        (NO_CONTENT,),
        request=ListBody,
    ),
    Operation(
        "DELETE",
        "/lists/{list_id}",
        "Delete a list (restorable)",
        "Lists",
        (NO_CONTENT,),
    ),
    Operation(
        "PUT",
        "/lists/{list_id}/restore",
        "Restore a deleted list",
        "Lists",
        (NO_CONTENT,),
    ),
    Operation(
        "GET",
        "/lists/{list_id}/subscriptions",
        "List a list's subscribers",
        "Lists",
        (Answer(200, d.SubscriptionPage, "a page of subscriptions"),),
        query=(cursor("subscriptions"),),
    ),
    Operation(
        "POST",
        "/lists/{list_id}/subscriptions",
        "Subscribe users to a list",
        "Lists",
        (NO_CONTENT,),
        request=SubscriptionsBody,
    ),
    Operation(
        "PUT",
        "/lists/{list_id}/subscriptions",
        "Make these users a list's only subscribers",
        "Lists",
        (NO_CONTENT,),
        request=SubscriptionsBody,
    ),
    Operation(
        "PUT",
        "/lists/{list_id}/subscriptions/{user_id}",
        "Subscribe a user to a list",
        "Lists",
        (NO_CONTENT,),
        request=SubscribeUserBody,
        request_required=False,
    ),
    Operation(
        "DELETE",
        "/lists/{list_id}/subscriptions/{user_id}",
        "Unsubscribe a user from a list",
        "Lists",
        (NO_CONTENT,),
    ),
)

PREFERENCES = (
    Operation(
        "GET",
        "/users/{user_id}/preferences",
        "Get a user's preferences",
        "Preferences",
        (Answer(200, d.UserPreferences, "every topic, with the user's status"),),
    ),
    Operation(
        "GET",
        "/users/{user_id}/preferences/{topic_id}",
        "Get a user's preference for a topic",
        "Preferences",
        (Answer(200, d.UserTopicPreference, "the topic, with the user's status"),),
    ),
    Operation(
        "PUT",
        "/users/{user_id}/preferences/{topic_id}",
        "Set a user's preference for a topic",
        "Preferences",
        (Answer(200, d.Acknowledged, "stored"),),
        request=d.ChoiceRequest,
    ),
    Operation(
        "DELETE",
        "/users/{user_id}/preferences/{topic_id}",
        "Forget a user's preference for a topic",
        "Preferences",
        (NO_CONTENT,),
    ),
    Operation(
        "GET",
        "/preferences/topics",
        "List subscription topics",
        "Preferences",
        (Answer(200, d.TopicPage, "a page of topics"),),
        query=(cursor("topics"),),
    ),
    Operation(
        "GET",
        "/preferences/topics/{topic_id}",
        "Get a subscription topic",
        "Preferences",
        (Answer(200, d.TopicView, "the topic"),),
    ),
    Operation(
        "PUT",
        "/preferences/topics/{topic_id}",
        "Create or replace a subscription topic",
        "Preferences",
        (Answer(200, d.TopicView, "the topic as stored"),),
        request=d.TopicRequest,
        description="Herald's own API: Courier defines topics in its web app.",
    ),
    Operation(
        "DELETE",
        "/preferences/topics/{topic_id}",
        "Delete a subscription topic",
        "Preferences",
        (NO_CONTENT,),
    ),
)

TEMPLATES = (
    Operation(
        "GET",
        "/templates",
        "List templates",
        "Templates",
        (Answer(200, d.TemplatePage, "a page of templates"),),
        query=(cursor("templates"),),
    ),
    Operation(
        "GET",
        "/templates/{template_id}",
        "Get a template",
        "Templates",
        (Answer(200, d.TemplateView, "the template"),),
    ),
    Operation(
        "PUT",
        "/templates/{template_id}",
        "Create or replace a template",
        "Templates",
        (Answer(200, d.TemplateView, "the template as stored"),),
        request=TemplateBody,
        description=(
            "Herald's own API (Courier designs templates in a web editor); "
            "a send names one in `message.template`."
        ),
    ),
    Operation(
        "DELETE",
        "/templates/{template_id}",
        "Delete a template",
        "Templates",
        (NO_CONTENT,),
    ),
)

BRANDS = (
    Operation(
        "GET",
        "/brands",
        "List brands",
        "Brands",
        (Answer(200, d.BrandPage, "a page of brands"),),
        query=(cursor("brands"),),
    ),
    Operation(
        "POST",
        "/brands",
        "Create a brand",
        "Brands",
        (Answer(200, d.BrandView, "the brand as stored"),),
        request=BrandBody,
    ),
    Operation(
        "GET",
        "/brands/{brand_id}",
        "Get a brand",
        "Brands",
        (Answer(200, d.BrandView, "the brand"),),
    ),
    Operation(
        "PUT",
        "/brands/{brand_id}",
        "Replace a brand",
        "Brands",
        (Answer(200, d.BrandView, "the brand as stored"),),
        request=BrandBody,
    ),
    Operation("DELETE", "/brands/{brand_id}", "Delete a brand", "Brands", (NO_CONTENT,)),
)

OPERATIONS: tuple[Operation, ...] = (
    *SEND,
    *MESSAGES,
    *PROFILES,
    *LISTS,
    *PREFERENCES,
    *TEMPLATES,
    *BRANDS,
)

"""Test mode: what a test key (``hk_test_...``) opens.

A workspace's test keys open its test namespace, ``<workspace>~test``: a workspace
of its own to every store, so each path and query already scoped by workspace keeps
test and live data apart, and a live key can no more read a test message than
another workspace's. In that namespace delivery hands every message to a recording
sink instead of the provider (``herald.providers.recording``).
"""

from __future__ import annotations

LIVE_KEY_PREFIX = "hk_"
TEST_KEY_PREFIX = "hk_test_"
TEST_NAMESPACE_SUFFIX = "~test"
# "~" is in no workspace name an operator gives, so no live workspace can be a namespace.
NAMESPACE_SEPARATOR = "~"


def namespace_for_test(workspace: str) -> str:
    """The namespace a test key of ``workspace`` opens."""
    return workspace + TEST_NAMESPACE_SUFFIX


def live_workspace_of(workspace: str) -> str:
    """The workspace a test namespace belongs to; a live workspace is its own."""
    return workspace.removesuffix(TEST_NAMESPACE_SUFFIX)


def is_test_mode(workspace: str) -> bool:
    """Whether ``workspace`` (as a key opened it) is a test namespace."""
    return workspace.endswith(TEST_NAMESPACE_SUFFIX)


def workspace_name_problem(workspace: str) -> str | None:
    """Why ``workspace`` cannot be given a key, or None."""
    if not workspace:
        return "a workspace needs a name"
    if NAMESPACE_SEPARATOR in workspace:
        return (
            f"a workspace name may not contain {NAMESPACE_SEPARATOR!r}: it marks a test"
            " namespace (create a test key with --test instead)"
        )
    return None

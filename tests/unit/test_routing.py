from herald.domain.routing import plan_route

BOTH = {"email": "a@example.com", "webhook": {"url": "http://h/x"}}


def test_default_routing_uses_every_channel_with_an_address_in_order() -> None:
    plan = plan_route({"email": "a@example.com"}, None)
    assert (plan.method, plan.channels) == ("single", ["email"])


def test_routing_keeps_the_requested_order_and_skips_unaddressable_channels() -> None:
    plan = plan_route(
        {"webhook": {"url": "http://h/x"}}, {"method": "all", "channels": ["email", "webhook"]}
    )
    assert (plan.method, plan.channels) == ("all", ["webhook"])
    assert plan_route(BOTH, {"method": "single", "channels": ["webhook", "email"]}).channels == [
        "webhook",
        "email",
    ]


def test_no_channel_with_an_address_is_unroutable() -> None:
    plan = plan_route({"email": "a@example.com"}, {"method": "single", "channels": ["webhook"]})
    assert not plan.routable

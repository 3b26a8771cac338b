"""The services' RPC replies on the real broker: a result, an error and a result that cannot be
serialised reach the caller as nameko's own replies do; each reply is published on a channel in
confirm mode, and the request is acked only once its reply is confirmed."""

from __future__ import annotations

from typing import Any

import pytest
from kombu.pools import producers
from nameko.exceptions import IncorrectSignature, RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from disputes_shared.plumbing.messaging import SettlingRpcConsumer, rpc

from ..support.waiting import eventually


class CaseDesk:
    name = "case_desk"

    @rpc
    def case_view(self, case_id: str, note: str | None = None) -> dict[str, Any]:
        return {"case_id": case_id, "note": note, "station": "调解站"}

    @rpc
    def refused(self, case_id: str) -> None:
        raise ValueError(f"case {case_id} is closed, not in mediation")

    @rpc
    def unserialisable(self) -> object:
        return object()


@pytest.fixture
def desk(container_factory, rabbit_config) -> dict[str, Any]:
    container = container_factory(CaseDesk, {**rabbit_config, "serializer": "json"})
    container.start()
    yield {"config": rabbit_config, "container": container}
    container.kill()


def test_a_result_reaches_the_caller_as_it_was_returned(desk):
    with ClusterRpcProxy(desk["config"]) as proxy:
        assert proxy.case_desk.case_view("c-1", note="第一次") == \
            {"case_id": "c-1", "note": "第一次", "station": "调解站"}


def test_an_error_reaches_the_caller_with_its_type_and_message(desk):
    with ClusterRpcProxy(desk["config"]) as proxy, pytest.raises(RemoteError) as error:
        proxy.case_desk.refused("c-2")
    assert error.value.exc_type == "ValueError"
    assert error.value.value == "case c-2 is closed, not in mediation"


def test_a_result_that_cannot_be_serialised_is_answered_as_nameko_answers_it(desk):
    with ClusterRpcProxy(desk["config"]) as proxy:
        with pytest.raises(RemoteError) as error:
            proxy.case_desk.unserialisable()
        assert error.value.exc_type == "UnserializableValueError"
        assert proxy.case_desk.case_view("c-3")["case_id"] == "c-3"  # the service goes on


def test_a_call_with_the_wrong_arguments_is_refused_in_namekos_words(desk):
    with ClusterRpcProxy(desk["config"]) as proxy:
        with pytest.raises(IncorrectSignature) as refused:
            proxy.case_desk.case_view()
        assert "missing 1 required positional argument: 'case_id'" in str(refused.value)
        with pytest.raises(IncorrectSignature):
            proxy.case_desk.case_view("c-4", colour="red")


def test_replies_are_published_with_publisher_confirms_and_the_request_acked_after(desk, monkeypatch):
    consumer = next(e for e in desk["container"].extensions if isinstance(e, SettlingRpcConsumer))
    assert consumer.reply_connection.transport_options["confirm_publish"] is True
    steps: list[str] = []
    reply, ack = consumer.reply, consumer.queue_consumer.ack_message

    def replying(message: Any, result: Any, exc_info: Any) -> Any:
        steps.append("reply")
        return reply(message, result, exc_info)

    def acking(message: Any) -> None:
        steps.append("ack")
        ack(message)

    monkeypatch.setattr(consumer, "reply", replying)
    monkeypatch.setattr(consumer.queue_consumer, "ack_message", acking)
    with ClusterRpcProxy(desk["config"]) as proxy:
        proxy.case_desk.case_view("c-5")
    # The caller has its reply once the broker routed it; the service acks right after.
    eventually(lambda: steps == ["reply", "ack"], timeout=5)
    with producers[consumer.reply_connection].acquire(block=True) as producer:
        assert producer.channel._confirm_selected  # the channel the reply went out on

"""Alert delivery: one channel protocol, webhook and email channels, and the outbox worker."""

from alerts.delivery.base import Channel, Message, SendResult
from alerts.delivery.worker import DeliveryWorker

__all__ = ["Channel", "DeliveryWorker", "Message", "SendResult"]

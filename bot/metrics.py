"""How the bot is doing, for GET /metrics in Prometheus' text format (prometheus-client, a registry per app:
two apps in one process, as tests build them, never count into each other).

What is counted, and where: updates handled and the handler's time (bot/dispatch.py), messages sent, refused for
good and retried, by messenger and kind (the senders), waits for the messenger's request limit (bot/ratelimit.py),
the outbox's depth per messenger and who holds the instance lease (read when /metrics is asked)."""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.updates = Counter("sferum_updates_total", "Updates from the messengers, by how they ended: handled, "
                               "duplicate (delivered again, skipped), failed (the handler raised)",
                               ["messenger", "outcome"], registry=r)
        self.handler_seconds = Histogram("sferum_handler_seconds", "Time to handle one update, its transaction "
                                         "included", ["messenger"], registry=r,
                                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
        self.sent = Counter("sferum_messages_sent_total", "Messages the messenger took", ["messenger"], registry=r)
        self.refused = Counter("sferum_messages_refused_total", "Messages refused for good (not retried), by the "
                               "messenger's error code", ["messenger", "kind"], registry=r)
        self.retries = Counter("sferum_send_retries_total", "Messages put back to wait and be sent again, by why",
                               ["messenger", "kind"], registry=r)
        self.rate_waits = Counter("sferum_rate_limit_waits_total", "Requests that waited for the messenger's "
                                  "request limit", ["messenger"], registry=r)
        self.rate_wait_seconds = Counter("sferum_rate_limit_wait_seconds_total", "Time requests waited for the "
                                         "messenger's request limit", ["messenger"], registry=r)
        self.outbox_depth = Gauge("sferum_outbox_depth", "Messages waiting in the outbox", ["messenger"], registry=r)
        self.lease = Gauge("sferum_lease_held", "1 while this instance holds the lease (on SQLite: the database's "
                           "file lock, one instance by construction)", ["lease", "holder"], registry=r)

    def waited(self, messenger: str, seconds: float) -> None:
        """A request waited for the request limit (bot/ratelimit.py calls this)."""
        if seconds > 0.001:
            self.rate_waits.labels(messenger).inc()
            self.rate_wait_seconds.labels(messenger).inc(seconds)

    def text(self) -> bytes:
        return generate_latest(self.registry)

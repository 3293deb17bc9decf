"""The outbox's MAX rows, delivered one request a message (MAX has no batching) at MAX's 30 requests a second.

MAX has no random_id, so a repeated `POST /messages` would show the message twice. The rule that keeps a crash
or a lost answer from doing that: before a row is sent its `attempt_at` is committed; a row picked up with
`attempt_at` set had a send whose outcome we never learned, and before sending it again the sender reads the
chat's newest messages (`GET /messages?chat_id=`) for one of ours with the same text, sent at or after that
moment. Found: the row is marked sent with its mid. Not found: MAX never took it, and it is sent again. (A person's
dialog id is learned from their updates; if MAX has not told it yet, the message is sent again — it can only be
a first message to someone who has never written, whom a lost answer would otherwise leave without one.)
"""

from __future__ import annotations

import asyncio
import collections
import json
import time
from typing import Any

from loguru import logger

from bot.max.api import TRANSIENT_EXCEPTIONS, MaxApi, MaxError
from bot.metrics import Metrics
from bot.ratelimit import CALL_WITHIN_S
from bot.sending import drain
from storage.accounts import MaxAccountRepo, MaxAddress
from storage.outbox import Claims, OutboxRepo, Queued

WORKERS = 6  # requests in flight; the limiter keeps them to 30 a second
UPLOAD_ATTEMPTS = 6
REPLY_BACKOFF_CAP_S = 4.0
BULK_BACKOFF_CAP_S = 60.0
PER_CHAT_PER_SECOND, PER_CHAT_WINDOW_S = 2, 1.05  # MAX's limit per dialog or chat, with a little slack
DENIED = 901  # as VK's "the person denied messages": they stopped the bot, or never started it
CLOCK_SLACK_MS = 2000  # MAX's clock and ours


class MaxSender:
    def __init__(self, outbox: OutboxRepo, api: MaxApi, accounts: MaxAccountRepo, *, request_timeout: float = CALL_WITHIN_S,
                 refusal_probe_s: float = 60.0,
                 workers: int = WORKERS, metrics: Metrics | None = None) -> None:
        self.outbox = outbox
        self.metrics = metrics or Metrics()
        self.api = api
        self.accounts = accounts
        self.request_timeout = request_timeout
        self.workers = workers
        self._wake = asyncio.Event()
        self.claims = Claims(outbox, "max")  # a recipient's row in flight is claimed: their next waits (order)
        self._sent_to: dict[int, collections.deque[float]] = {}  # recent send times per recipient (MAX: 2 a second)
        self.per_chat_per_second = PER_CHAT_PER_SECOND  # (in-process handler tests raise it with maxemu's)
        self._busy = 0
        self.duplicates_avoided = 0  # sends found already delivered after a lost answer (for tests and the bench)
        # MAX refused the bot's token: nothing is sent (every row kept) but one probe a while
        self.refusal: MaxError | None = None
        self.refusal_probe_s = refusal_probe_s
        self._probe_at = 0.0

    def wake(self) -> None:
        self._wake.set()

    @property
    def busy(self) -> bool:
        return self._busy > 0

    async def run(self, stop: asyncio.Event) -> None:
        await asyncio.gather(*(self._worker(stop) for _ in range(self.workers)))

    async def _worker(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._wake.clear()
            try:
                sent = await self.send_some()
            except Exception:  # the sender must outlive any one bad row
                logger.exception("MAX outbox row failed")
                sent = 0
            if sent == 0:
                waiters = [asyncio.create_task(self._wake.wait()), asyncio.create_task(stop.wait())]
                await asyncio.wait(waiters, timeout=0.5, return_when=asyncio.FIRST_COMPLETED)
                for w in waiters:
                    w.cancel()

    async def send_some(self) -> int:
        """Take one ready row nobody sends and deliver it; 0 when none is ready."""
        if self.refusal is not None:
            if time.monotonic() < self._probe_at or self._busy:
                return 0
            self._probe_at = time.monotonic() + self.refusal_probe_s  # one row tries whether MAX takes the token again
        now = time.monotonic()

        def choose(candidates: list[Queued]) -> list[Queued]:
            return next(([r] for r in candidates if self._may_send_to(r.peer_id, now)), [])

        rows = await self.claims.take(self.workers * 4, choose)
        if not rows:
            return 0
        row = rows[0]
        self._busy += 1
        try:
            await self._deliver(row)
        finally:
            # counted from the answer, not the request: MAX saw the send somewhere between the two, so spacing
            # measured from answers never puts three in one of MAX's seconds (from requests, it had drawn 429s)
            self._sent_to.setdefault(row.peer_id, collections.deque()).append(time.monotonic())
            await self.claims.give_back(rows)
            self._busy -= 1
        return 1

    def _may_send_to(self, peer: int, now: float) -> bool:
        """MAX takes at most 2 messages a second into one dialog or chat (dev.max.ru, POST /messages and
        POST /answers: «не более двух … в секунду в один диалог, групповой чат или канал»)."""
        recent = self._sent_to.get(peer)
        if recent is None:
            return True
        while recent and now - recent[0] >= PER_CHAT_WINDOW_S:
            recent.popleft()
        if not recent:
            del self._sent_to[peer]
            return True
        return len(recent) < self.per_chat_per_second

    async def _deliver(self, row: Queued) -> None:
        address = await self.accounts.address(row.peer_id)
        if address is None:
            await self.outbox.mark_failed(row.id, row.peer_id, 404)
            logger.error("a MAX message to an unknown peer dropped")
            return
        if row.attempt_at is not None:
            try:
                found = await self._already_there(address, row)
            except (MaxError, *TRANSIENT_EXCEPTIONS):
                logger.warning("could not read a MAX chat to check an unanswered send; it waits")
                await self._back_off(row)
                return
            if found is not None:
                self.duplicates_avoided += 1
                await self.claims.mark_sent_max(row.id, found)
                return
        attachments = await self._attachments(row)
        if attachments is None:
            return  # an upload waits
        body: dict[str, Any] = {"text": row.text or None, "attachments": attachments}
        where = {"user_id": address.max_id} if address.kind == "user" else {"chat_id": address.max_id}
        await self.outbox.mark_attempt(row.id, time.time())
        try:
            answer = await self.api.request("POST", "/messages", where, body, urgent=row.priority == 0,
                                            within=self.request_timeout, retry=False)
        except MaxError as e:
            if e.refuses_the_bot:
                await self._refused(row, e)
                return
            if e.transient:
                if e.code != "attachment.not.ready":
                    logger.warning("MAX refused for now ({}); the message waits", e.code)
                self.metrics.retries.labels("max", f"max_{e.status}").inc()
                await self._back_off(row, refused=True)
            else:
                self.metrics.refused.labels("max", f"max_{e.status}").inc()
                code = DENIED if e.status == 403 else e.status
                if code != DENIED:
                    logger.error("message refused by MAX ({}: {}); not retried", e.code, e.message)
                await self.outbox.mark_failed(row.id, row.peer_id, code)
            return
        except TRANSIENT_EXCEPTIONS as e:  # the answer is lost: the next attempt looks before it sends
            logger.warning("MAX send failed ({}); the message waits", type(e).__name__)
            self.metrics.retries.labels("max", type(e).__name__).inc()
            await self._back_off(row)
            return
        await self.claims.mark_sent_max(row.id, str(answer["message"]["body"]["mid"]))
        self.metrics.sent.labels("max").inc()
        if self.refusal is not None:
            logger.warning("MAX takes the bot's token again; sending resumes")
            self.refusal = None

    async def _refused(self, row: Queued, error: MaxError) -> None:
        """The token is refused: the row waits like every other, nobody is marked unreachable, and it is said once."""
        self.metrics.retries.labels("max", "token_refused").inc()
        if self.refusal is None:
            logger.error("MAX refuses the bot's token ({} {}): nothing is sent to MAX until it is taken again; "
                         "every message waits", error.status, error.code)
        self.refusal = error
        self._probe_at = time.monotonic() + self.refusal_probe_s
        await self.outbox.retry_later([row.id], self.refusal_probe_s)
        await self.outbox.mark_attempt(row.id, None)  # refused: nothing to look for before the next try

    async def _already_there(self, address: MaxAddress, row: Queued) -> str | None:
        chat_id = address.dialog_id if address.kind == "user" else address.max_id
        if chat_id is None:
            return None
        history = await self.api.request("GET", "/messages", {"chat_id": chat_id, "count": 50}, urgent=False)
        since = int((row.attempt_at or 0) * 1000) - CLOCK_SLACK_MS
        for message in history.get("messages") or []:
            sender = message.get("sender") or {}
            body = message.get("body") or {}
            if sender.get("is_bot") and (body.get("text") or "") == (row.text or "") \
                    and int(message.get("timestamp") or 0) >= since:
                return str(body.get("mid"))
        return None

    async def _attachments(self, row: Queued) -> list[dict[str, Any]] | None:
        """The keyboard and the files (uploaded once, then kept on the row as MAX's attachments)."""
        out: list[dict[str, Any]] = []
        if row.attachment:
            out += json.loads(row.attachment)
        elif row.files:
            try:
                for f in await self.outbox.files(row.id):
                    out.append(await self.api.upload("image" if f.kind == "photo" else "file", f.name, f.data))
            except (MaxError, *TRANSIENT_EXCEPTIONS) as e:
                if row.attempts < UPLOAD_ATTEMPTS:
                    logger.warning("MAX upload failed ({}); the message waits", type(e).__name__)
                    await self._back_off(row)
                    return None
                logger.warning("MAX upload given up; the message goes without its file")
                out = []
            await self.outbox.attach(row.id, json.dumps(out, ensure_ascii=False) if out else None)
        if row.keyboard:
            out.append(json.loads(row.keyboard))
        return out

    async def _back_off(self, row: Queued, refused: bool = False) -> None:
        cap = REPLY_BACKOFF_CAP_S if row.priority == 0 else BULK_BACKOFF_CAP_S
        delay = 0.3 if refused and row.attempts < 3 else min(cap, 0.5 * 2 ** row.attempts)
        await self.outbox.retry_later([row.id], delay)
        if refused:
            await self.outbox.mark_attempt(row.id, None)  # MAX answered "no": nothing to look for next time

    async def drain(self, limit_s: float = 30.0) -> bool:
        return await drain(self.send_some, self.claims.pending, lambda: self.busy, lambda: self.refusal is not None,
                           limit_s)

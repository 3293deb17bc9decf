"""The one outbound sender: drains the outbox in `execute` batches of up to 25 messages.

Every request goes through the shared rate limiter (VK allows a community 20 requests/s, so
up to 500 messages/s). Replies to people (priority 0) are taken before bulk sends. A row is
marked sent only after VK answered; after a crash it is sent again with the same random_id
and VK deduplicates it, so nobody gets a message twice.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace
from typing import Any

from loguru import logger
from vkbottle import API, DocMessagesUploader, PhotoMessageUploader, VKAPIError

from bot.metrics import Metrics
from bot.ratelimit import CALL_WITHIN_S
from bot.sending import drain
from bot.vk.api import TRANSIENT_ERRORS, TRANSIENT_EXCEPTIONS, LimitedAPI
from storage.outbox import UNREACHABLE_CODES, Claims, OutboxRepo, Queued

BATCH = 25
REWORD = "\u2060"  # WORD JOINER: invisible, yet makes a repeated text another message for VK
UPLOAD_ATTEMPTS = 6  # then a message goes without its file rather than not at all
REPLY_BACKOFF_CAP_S = 4.0
BULK_BACKOFF_CAP_S = 60.0
TOKEN_REFUSED = frozenset({5, 27, 28})  # user / group authorization failed, a method not for a group's token
UNREACHABLE = {*UNREACHABLE_CODES, 917}  # 917: the community is not in that chat


def vkscript_batch(rows: list[Queued]) -> str:
    """`return [API.messages.send({...}), ...];` with every value as a JSON literal."""
    calls = []
    for row in rows:
        params: dict[str, Any] = {"peer_id": row.peer_id, "message": row.text, "random_id": row.random_id}
        if row.keyboard:
            params["keyboard"] = row.keyboard
        if row.attachment:
            params["attachment"] = row.attachment
        calls.append(f"API.messages.send({json.dumps(params, ensure_ascii=False)})")
    return "return [" + ",".join(calls) + "];"


class Sender:
    def __init__(self, outbox: OutboxRepo, api: API, *, workers: int = 3, request_timeout: float = CALL_WITHIN_S,
                 metrics: Metrics | None = None) -> None:
        self.outbox = outbox
        self.metrics = metrics or Metrics()
        self.api = api
        self.workers = workers
        self.request_timeout = request_timeout
        self._wake = asyncio.Event()
        self._reply_wake = asyncio.Event()
        self.claims = Claims(outbox, "vk")
        self._busy = 0
        self._failing = False  # the last attempt failed for a reason that passes
        self.refusal: int | None = None  # VK refuses the community's token (error 5, 27, 28): GET /healthz says so

    def wake(self) -> None:
        self._wake.set()
        self._reply_wake.set()

    @property
    def busy(self) -> bool:
        return self._busy > 0

    async def run(self, stop: asyncio.Event) -> None:
        # One worker serves only replies, so a person never queues behind a broadcast's batches.
        await asyncio.gather(self._worker(stop, replies_only=True),
                             *(self._worker(stop) for _ in range(self.workers)))

    async def _worker(self, stop: asyncio.Event, replies_only: bool = False) -> None:
        wake = self._reply_wake if replies_only else self._wake
        while not stop.is_set():
            # Cleared before looking, so a message queued while we look still wakes us.
            wake.clear()
            try:
                sent = await self.send_batch(replies_only=replies_only)
            except Exception:  # the sender must outlive any one bad batch
                logger.exception("outbox batch failed")
                sent = 0
            if sent == 0:
                await self._idle(stop, wake)

    async def _idle(self, stop: asyncio.Event, wake: asyncio.Event) -> None:
        wakeup = await self.outbox.next_wakeup()
        delay = 1.0 if wakeup is None else min(1.0, max(0.01, wakeup - time.time()))
        waiters = [asyncio.create_task(wake.wait()), asyncio.create_task(stop.wait())]
        await asyncio.wait(waiters, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
        for w in waiters:
            w.cancel()

    async def send_batch(self, replies_only: bool = False) -> int:
        """Send one batch of ready rows; returns how many rows it took (0: nothing ready).

        `replies_only`: act only when a reply waits; its batch is still filled up with bulk
        messages, so a reply costs no extra request of VK's quota."""
        def choose(candidates: list[Queued]) -> list[Queued]:
            return [] if replies_only and (not candidates or candidates[0].priority != 0) else candidates

        rows = await self.claims.take(BATCH, choose)
        if not rows:
            return 0
        self._busy += 1
        try:
            await self._send(rows)
        finally:
            await self.claims.give_back(rows)
            self._busy -= 1
        return len(rows)

    async def _upload(self, rows: list[Queued]) -> list[Queued]:
        """Upload the files of rows that have some; returns the rows ready to send. A row whose upload
        VK refuses for good goes without its file (the figures matter more than the picture); one whose
        upload meets a passing fault waits, like a message VK did not take."""
        ready: list[Queued] = []
        waiting: list[Queued] = []
        for row in rows:
            if not row.files:
                ready.append(row)
                continue
            try:
                names = []
                for f in await self.outbox.files(row.id):
                    # the upload's POST goes through vkbottle's client, which has no timeout of its own
                    if f.kind == "photo":
                        upload = PhotoMessageUploader(self.api).upload(f.data, peer_id=row.peer_id)
                    else:
                        upload = DocMessagesUploader(self.api).upload(f.data, title=f.name, peer_id=row.peer_id)
                    names.append(await asyncio.wait_for(upload, 3 * self.request_timeout))
                attachment = ",".join(names) or None
            except (VKAPIError, ValueError, *TRANSIENT_EXCEPTIONS) as e:
                passing = not isinstance(e, VKAPIError) or e.code in TRANSIENT_ERRORS
                if passing and row.attempts < UPLOAD_ATTEMPTS:
                    logger.warning("upload failed ({}); the message waits", type(e).__name__)
                    waiting.append(row)
                    continue
                logger.warning("upload given up ({}); the message goes without its file", type(e).__name__)
                attachment = None
            await self.outbox.attach(row.id, attachment)
            ready.append(replace(row, attachment=attachment, files=0))
        if waiting:
            await self._back_off(waiting)
        return ready

    async def _send(self, rows: list[Queued]) -> None:
        if any(r.files for r in rows):
            rows = await self._upload(rows)
            if not rows:
                return
        try:
            urgent = any(r.priority == 0 for r in rows)
            request = self.api.request("execute", {"code": vkscript_batch(rows)}, **(
                {"urgent": urgent} if isinstance(self.api, LimitedAPI) else {}))
            body = await asyncio.wait_for(request, self.request_timeout)
        except VKAPIError as e:
            level = "warning" if e.code in TRANSIENT_ERRORS else "error"
            logger.log(level.upper(), "execute refused with VK error {}; {} messages wait", e.code, len(rows))
            if e.code in TOKEN_REFUSED:
                self.refusal = e.code
            self.metrics.retries.labels("vk", f"vk_error_{e.code}").inc(len(rows))
            await self._back_off(rows)
            return
        except TRANSIENT_EXCEPTIONS as e:
            logger.warning("execute failed ({}); {} messages wait", type(e).__name__, len(rows))
            self.metrics.retries.labels("vk", type(e).__name__).inc(len(rows))
            await self._back_off(rows)
            return
        results = body.get("response") if isinstance(body, dict) else None
        if not isinstance(results, list) or len(results) != len(rows):
            logger.error("unexpected execute answer; {} messages wait", len(rows))
            self.metrics.retries.labels("vk", "unexpected_answer").inc(len(rows))
            await self._back_off(rows)
            return
        errors = iter(body.get("execute_errors") or [])
        sent: list[tuple[int, int]] = []
        retry: list[Queued] = []
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, int) and not isinstance(result, bool):
                sent.append((row.id, result))
                continue
            error = next(errors, {})
            code = int(error.get("error_code", 1)) if isinstance(error, dict) else 1
            if code == 9 and "same message" in str(error.get("error_msg", "")):
                # VK refuses a message that repeats the person's last one («Flood control: same message already
                # sent»): an invisible word joiner makes it another message, and it goes at once
                await self.outbox.reword(row.id, row.text + REWORD)
                self.metrics.retries.labels("vk", "same_message").inc()
                self.wake()
            elif code in TRANSIENT_ERRORS:
                retry.append(row)
                self.metrics.retries.labels("vk", f"vk_error_{code}").inc()
            else:
                self.metrics.refused.labels("vk", f"vk_error_{code}").inc()
                if code not in UNREACHABLE:
                    logger.error("message refused by VK with error {}; not retried", code)
                await self.outbox.mark_failed(row.id, row.peer_id, code)
        if sent:
            await self.claims.mark_sent(sent)
            self.metrics.sent.labels("vk").inc(len(sent))
            self.refusal = None
            if self._failing:
                # VK answers again after failing: what waits behind a backoff goes now
                self._failing = False
                await self.outbox.retry_now()
                self.wake()
        if retry:
            await self._back_off(retry)

    async def _back_off(self, rows: list[Queued]) -> None:
        self._failing = True
        attempts = max(r.attempts for r in rows)
        # A person waiting for a reply is never left more than a few seconds behind VK's recovery.
        cap = REPLY_BACKOFF_CAP_S if any(r.priority == 0 for r in rows) else BULK_BACKOFF_CAP_S
        await self.outbox.retry_later([r.id for r in rows], min(cap, 0.5 * 2 ** attempts))

    async def drain(self, limit_s: float = 30.0) -> bool:
        """Send until nothing is pending (tests, run-job, shutdown); False if time ran out."""
        return await drain(self.send_batch, self.claims.pending, lambda: self.busy, limit_s=limit_s)

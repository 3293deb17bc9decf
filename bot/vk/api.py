"""VK API access: one rate limiter for every call (ours, the long poll's, the uploaders')."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from vkbottle import API, VKAPIError
from vkbottle.api.request_rescheduler import ABCRequestRescheduler

from bot.ratelimit import CALL_WITHIN_S, RateLimiter

# VK errors worth retrying later: 1 unknown error, 6 too many requests, 9 flood control, 10 internal error.
__all__ = ["API", "VKAPIError", "TRANSIENT_ERRORS", "TRANSIENT_EXCEPTIONS", "connect"]  # what the wiring may name

TRANSIENT_ERRORS = frozenset({1, 6, 9, 10})


class VkUnavailable(aiohttp.ClientError):
    """VK answered with something that is not JSON (a 5xx page): try again later."""


# What a call may raise when VK or the network is briefly down; callers retry these, later.
TRANSIENT_EXCEPTIONS: tuple[type[BaseException], ...] = (TimeoutError, aiohttp.ClientError, OSError)


class RaiseInstead(ABCRequestRescheduler):
    """vkbottle's default answer to a 5xx is to sleep and call again *inside* the failed call; under a
    rate limiter that nested call needs a second slot while the first is held, and 20 of them waiting
    at once hold every slot for good. The call fails instead, and its caller retries with its slot free."""

    async def reschedule(self, ctx_api: Any, method: str, data: dict[str, Any], recent_response: Any) -> dict:
        raise VkUnavailable(f"{method}: VK answered with no JSON")


class LimitedAPI(API):
    """vkbottle's API with every method call (ours, the long-poll client's, uploaders') under one limiter.

    A slot is held only for the HTTP exchange, never while retrying, and every exchange has a timeout:
    a VK that does not answer costs a caller `timeout` seconds, not the bot its traffic."""

    def __init__(self, token: str, limiter: RateLimiter | None = None, timeout: float = CALL_WITHIN_S) -> None:
        super().__init__(token, request_rescheduler=RaiseInstead())
        self.limiter = limiter or RateLimiter()
        self.timeout = timeout

    async def request(self, method: str, data: dict, version: str | None = None, *, urgent: bool = True) -> dict:
        data = await self.validate_request(data)
        async with self.limiter.slot(urgent), self.token_generator as token:
            response = await asyncio.wait_for(self.http_client.request_text(
                self.API_URL + method, method="POST", data=data,
                params={"access_token": token, "v": version or self.API_VERSION}), self.timeout)
        return await self.validate_response(method, data, response)


def connect(token: str, api_url: str, requests_per_second: int) -> LimitedAPI:
    """The API client the bot and the operator's commands use."""
    api = LimitedAPI(token, RateLimiter(requests_per_second or 1_000_000))
    api.API_URL = api_url
    return api

"""A local emulator of the VK API and Bots Long Poll, checked against VK's official schema."""

from .emulator import CHAT_BASE, Delivered, Emulator, VKError
from .schema import Schema
from .server import EmulatorServer, build_web_app

__all__ = ["CHAT_BASE", "Delivered", "Emulator", "EmulatorServer", "Schema", "VKError", "build_web_app"]

"""A local emulator of the MAX Bot API (REST and long polling), checked against MAX's OpenAPI document."""

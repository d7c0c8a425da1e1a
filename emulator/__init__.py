"""A local stand-in for Telegram: a Bot API server checked against the specification
(`botapi`), and a web chat in which one person plays several users (`server`, `static/`).

It imports nothing from the bot: the bot talks to it over HTTP, as to Telegram.
"""

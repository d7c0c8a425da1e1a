"""Routers per audience; dialogues live in `bot.dialogs`."""

"""Telegram bot that registers delegates for international conferences."""

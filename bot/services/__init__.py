"""Business rules, independent of Telegram: tested directly against SQLite and PostgreSQL."""

"""Logging: readable lines for a terminal (LOG_FORMAT=text), or one JSON object (json) or
key=value pairs (logfmt) per line for a log collector. Fields given with `extra={...}` are kept.

Personal data is never logged at INFO or below: log ids (update, registration, user), not what
people typed.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

# Attributes every LogRecord has: anything else on a record came from `extra`.
_RECORD_FIELDS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _fields(record: logging.LogRecord, formatter: logging.Formatter) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname.lower(),
        "logger": record.name,
        "msg": record.getMessage(),
    }
    fields.update({k: v for k, v in record.__dict__.items() if k not in _RECORD_FIELDS})
    if record.exc_info:
        fields["exc"] = formatter.formatException(record.exc_info)
    return fields


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_fields(record, self), ensure_ascii=False, default=str)


class LogfmtFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{key}={_logfmt_value(value)}" for key, value in _fields(record, self).items())


def _logfmt_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if text and not any(c in text for c in ' ="\\') and text.isprintable():
        return text
    return json.dumps(text, ensure_ascii=False)  # quoted, with \n, \" and \\ escaped


FORMATTERS: dict[str, logging.Formatter] = {
    "text": logging.Formatter(TEXT_FORMAT),
    "json": JSONFormatter(),
    "logfmt": LogfmtFormatter(),
}


def configure_logging(level: str, log_format: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(FORMATTERS[log_format])
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)

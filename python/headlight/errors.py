"""One exception class per status code of the C API (HL_STATUS_*), each carrying the engine's message."""


class HeadlightError(Exception):
    """A failed engine call: `status` is its HL_STATUS_* code, the message is hl_last_error()'s."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class InvalidArgumentError(HeadlightError):
    """HL_STATUS_INVALID_ARGUMENT: a bad handle, text or option."""


class BadModelError(HeadlightError):
    """HL_STATUS_BAD_MODEL: the file is not a usable Headlight model."""


class OutOfMemoryError(HeadlightError):
    """HL_STATUS_OUT_OF_MEMORY."""


class UnsupportedError(HeadlightError):
    """HL_STATUS_UNSUPPORTED."""


class InternalError(HeadlightError):
    """HL_STATUS_INTERNAL: a bug in the engine."""


# Index = status code (HL_STATUS_OK = 0 has none); tests/python/test_bindings.py checks it against headlight.h.
BY_STATUS = [None, InvalidArgumentError, BadModelError, OutOfMemoryError, UnsupportedError, InternalError]


def error_for(status, message):
    cls = BY_STATUS[status] if 0 < status < len(BY_STATUS) else HeadlightError
    return cls(status, message)

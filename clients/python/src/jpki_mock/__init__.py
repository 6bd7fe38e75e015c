"""jpki-mock from Python: start the mock JPKI certificate authority, issue My Number
card certificates, revoke them, move its clock, inject faults and read its request log.

    from jpki_mock import JpkiMock

    with JpkiMock.start() as ca:            # jpki-mock serve --ephemeral on a free port
        card = ca.issue(name="山田 太郎")
        ca.revoke(card["card_id"], "lost")

Installed with pip, the package also registers a pytest plugin whose session-scoped
fixture `jpki_mock` is such a server (see `jpki_mock.pytest_plugin`).
"""

from .client import (
    DEFAULT_CARD,
    JpkiMock,
    JpkiMockError,
    JpkiMockStartError,
    find_binary,
)

__all__ = ["DEFAULT_CARD", "JpkiMock", "JpkiMockError", "JpkiMockStartError", "find_binary"]
__version__ = "0.1.0"

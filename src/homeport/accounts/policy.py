"""The password policy of security-baseline.md (ASVS 6.2.x, NIST SP 800-63B).

Length is what counts: no composition rules, any Unicode accepted and normalised to NFKC, a hard byte cap
before hashing, and a local list of common passwords (the box may be offline). Length is counted as typed and
after NFKC, the smaller of the two, and white space alone is not a password.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

from homeport.core.errors import InvalidInput

DEFAULT_MIN_LENGTH = 12
MIN_LENGTH_RANGE = (8, 64)
MAX_PASSWORD_BYTES = 1024  # 256 characters of any script fit (ASVS 6.2.9: at least 64)


def common_passwords() -> frozenset[str]:
    """The 10,000 most common passwords of 8+ characters, casefolded; ships with Homeport."""
    text = resources.files("homeport.accounts").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


_DIGEST_BYTES = 8  # 10,000 words among 2**64 values: a stray match is out of reach


def _digest(word: str) -> bytes:
    return hashlib.blake2b(word.encode("utf-8", "surrogatepass"), digest_size=_DIGEST_BYTES).digest()


def digest_table(words: frozenset[str]) -> bytes:
    """The list as sorted 8-byte digests in one bytes object, shipped as data/common-passwords.b2 (built from the
    text by tests/unit/accounts/test_policy.py): 80 KB in the daemon where a set of the words costs 1.8 MB."""
    return b"".join(sorted({_digest(word) for word in words}))


@cache
def _common_digests() -> bytes:
    return resources.files("homeport.accounts").joinpath("data/common-passwords.b2").read_bytes()


def is_common(folded: str) -> bool:
    """Whether this casefolded text is on the list (a binary search over the digests)."""
    table, key = _common_digests(), _digest(folded)
    low, high = 0, len(table) // _DIGEST_BYTES
    while low < high:
        middle = (low + high) // 2
        probe = table[middle * _DIGEST_BYTES : (middle + 1) * _DIGEST_BYTES]
        if probe == key:
            return True
        low, high = (middle + 1, high) if probe < key else (low, middle)
    return False


def normalise(password: str) -> str:
    """NFKC, so that the same password typed on another keyboard or OS still matches (ASVS 6.2.10)."""
    return unicodedata.normalize("NFKC", password)


# Characters that show nothing although they are not white space (Hangul fillers, the blank Braille pattern).
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")


def _invisible(ch: str) -> bool:
    """Zero-width, control and format characters, and the fillers that look like nothing."""
    return ch in _FILLERS or unicodedata.category(ch) in ("Cf", "Cc")


def _visible_length(text: str) -> int:
    return sum(1 for ch in text if not _invisible(ch))


def _bare(text: str) -> str:
    """Without white space and invisible characters: what the common-password list compares."""
    return "".join(ch for ch in text if ch.strip() and not _invisible(ch))


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = DEFAULT_MIN_LENGTH

    def check(self, password: str, username: str, field: str = "password") -> str:
        """Return the normalised password, or raise InvalidInput saying which rule it breaks."""
        normalised = normalise(password)
        if not normalised:
            raise InvalidInput.field(field, "Enter a password.")
        if "\x00" in normalised or any(0xD800 <= ord(ch) <= 0xDFFF for ch in normalised):
            raise InvalidInput.field(field, "Remove the NUL or unpaired surrogate characters from the password.")
        if not any(ch.strip() and not _invisible(ch) for ch in normalised):
            raise InvalidInput.field(
                field,
                "This password is only spaces or other blank or invisible characters; use words or other "
                "characters too.",
            )
        # The smaller count of the two: NFKC can turn one typed character into 18 (U+FDFA), or several into one.
        # Invisible characters (zero-width joiners and spaces, fillers) are not counted.
        length = min(_visible_length(password), _visible_length(normalised))
        if length < self.min_length:
            raise InvalidInput.field(
                field,
                f"Use at least {self.min_length} characters (this one has {length}); "
                "a few unrelated words make a long password that is easy to remember.",
            )
        if len(normalised.encode("utf-8", "surrogatepass")) > MAX_PASSWORD_BYTES:
            raise InvalidInput.field(field, f"Use at most {MAX_PASSWORD_BYTES} bytes (about 256 characters).")
        folded = normalised.casefold()
        if is_common(folded) or is_common(_bare(folded)):  # padding or a hidden character changes nothing
            raise InvalidInput.field(field, "This password is one of the most common ones; choose another.")
        if len(username) >= 3 and username.casefold() in folded:
            raise InvalidInput.field(field, "The password must not contain the user name.")
        return normalised


def check_min_length_setting(value: int) -> int:
    low, high = MIN_LENGTH_RANGE
    if not low <= value <= high:
        raise InvalidInput.field("password_min_length", f"Choose a minimum length from {low} to {high}.")
    return value

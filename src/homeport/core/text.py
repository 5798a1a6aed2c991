"""Unicode direction controls in text people type and others read.

They are invisible and reorder what follows them, so `Bob U+202E exe.txt` shows as something else (the
"Trojan Source" trick, CVE-2021-42574). Names refuse them when typed; every display replaces them.
"""

from __future__ import annotations

# The explicit bidirectional formatting characters of UAX #9: marks, embeddings, overrides and isolates.
DIRECTION_CONTROLS = frozenset(
    "\u061c"  # ARABIC LETTER MARK
    "\u200e\u200f"  # LEFT-TO-RIGHT MARK, RIGHT-TO-LEFT MARK
    "\u202a\u202b\u202c\u202d\u202e"  # LRE, RLE, PDF, LRO, RLO
    "\u2066\u2067\u2068\u2069"  # LRI, RLI, FSI, PDI
)
DIRECTION_CONTROLS_PROBLEM = (
    "Remove the invisible direction-control characters (such as right-to-left override, U+202E); "
    "they make text show differently from what it is."
)
_SHOWN_AS_REPLACEMENT = str.maketrans(dict.fromkeys(DIRECTION_CONTROLS, "\ufffd"))


def has_direction_controls(text: str) -> bool:
    return not DIRECTION_CONTROLS.isdisjoint(text)


def neutralise_direction_controls(text: str) -> str:
    """Replace each direction control with U+FFFD: visible, and the text keeps its length."""
    return text.translate(_SHOWN_AS_REPLACEMENT)

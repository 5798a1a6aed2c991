"""Pure building blocks shared by every domain: errors, clock, identifiers, events, atomic files."""

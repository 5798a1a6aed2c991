"""Physical reset and recovery (Mode 1, Mode 2, console first aid): arrives with the recovery issue.

It must keep working when the web layer is broken: it may import core, store, accounts, auth, system,
network and hardware, never api, web or cli (tests/unit/test_layers.py enforces this).
"""

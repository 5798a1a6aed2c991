"""Being found on the LAN: mDNS/DNS-SD advertisement with the device's state, and the finder.

The advertiser arrives with the network issue; it listens to `core.events.DeviceStateChanged` and
`DeviceRenamed`, which the device service already publishes after each committed change.
"""

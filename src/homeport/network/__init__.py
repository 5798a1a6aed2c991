"""The box's network: today a read-only view of the host's interfaces (MAC, addresses) that the device
identity and the TLS certificate use. Settings, backends and snapshots arrive with the network issue and
plug in beside `interfaces.HostInterfaces`.
"""

"""What the device accepts for its network settings (the API's body; the console's form shows the same bounds).
As in http/inputs.py the bounds are generous limits; network/validate.py gives the precise, friendly rules."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from homeport.http.inputs import DEVICE_NAME_MAX
from homeport.network.validate import MAX_DNS

ADDRESS_MAX = 64  # room for any IPv4 or IPv6 address, with a prefix or a netmask
INTERFACES_MAX = 16


class InterfaceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: str = Field(max_length=32)
    mode: Literal["dhcp", "static"] = "dhcp"
    address: str | None = Field(default=None, max_length=ADDRESS_MAX, description="Static only: e.g. 192.168.1.20/24.")
    gateway: str | None = Field(default=None, max_length=ADDRESS_MAX)
    dns: list[str] = Field(default_factory=list, max_length=MAX_DNS)
    mtu: int = 1500


class PortsIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    http: int = 5000
    https: int = 5001


class NetworkIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    hostname: str = Field(max_length=DEVICE_NAME_MAX)
    interfaces: list[InterfaceIn] = Field(max_length=INTERFACES_MAX)
    web: PortsIn = Field(default_factory=PortsIn)

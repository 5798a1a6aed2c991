# Homeport: `make run` starts it on its embedded defaults; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
HOME_DIR ?= var/homeport
VOLUME ?= var/volume1
RELEASES_DIR ?= var/releases
HTTP_PORT ?= 5000
HTTPS_PORT ?= 5001
# Debian packages the tests drive for real: Chromium (console e2e), fonts for its screenshots,
# NSS tools (to make Chromium trust the device CA), iproute2 (interfaces, namespaces), for the LAN lab:
# dnsmasq (DHCP server), busybox udhcpc (DHCP client), dig (an independent mDNS client), curl;
# e2fsprogs and mount (loop-mounted ext4 volumes), and testssl.sh (an outside audit of the HTTPS server).
TEST_DEBS := chromium fonts-dejavu-core libnss3-tools iproute2 dnsmasq-base udhcpc bind9-dnsutils curl e2fsprogs mount testssl.sh
# Samba for the SMB file service (`make run` too): smbd and its tools, the VFS modules (recycle bin, Time Machine),
# smbclient, and nss_wrapper (the embedded smbd's accounts never touch /etc/passwd). Tests add smbtorture.
SMB_DEBS := samba samba-vfs-modules smbclient libnss-wrapper
SMB_TEST_DEBS := $(SMB_DEBS) samba-testsuite wsdd
# A package's init script must not start the host's own smbd on port 445 (no systemd here to stop it):
# policy-rc.d answers "not now" while the packages install.
define install_debs
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages: $$missing"; \
	    policy=/usr/sbin/policy-rc.d; keep=""; [ -e $$policy ] && keep=$$(mktemp) && cp -p $$policy $$keep; \
	    printf '#!/bin/sh\nexit 101\n' > $$policy && chmod 755 $$policy; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	    status=$$?; if [ -n "$$keep" ]; then mv $$keep $$policy; else rm -f $$policy; fi; exit $$status; \
	  else \
	    echo "Missing Debian packages: $$missing (run as root, or: sudo apt-get install $$missing)"; $(2); \
	  fi; \
	fi
endef

.PHONY: run test test-fast bench lint format system-deps smb-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==26.3

$(RUN_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	touch $(RUN_STAMP)

$(TEST_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(RUN_STAMP) $(TEST_STAMP)

# SMB: Homeport's own smbd (embedded) on port 445 when run as root; otherwise the file service stays off.
SMB ?= $(shell [ "$$(id -u)" = 0 ] && echo embedded || echo off)
SMB_PORT ?= 445

run: $(RUN_STAMP) smb-deps
	mkdir -p $(VOLUME)
	$(BIN)/homeport serve --home $(HOME_DIR) --volume $(VOLUME) --http-port $(HTTP_PORT) --https-port $(HTTPS_PORT) \
	  --smb $(SMB) --smb-port $(SMB_PORT) --releases $(RELEASES_DIR)

smb-deps:
	$(call install_debs,$(SMB_DEBS),echo "SMB stays off until they are installed.")

system-deps:
	$(call install_debs,$(TEST_DEBS) $(SMB_TEST_DEBS),exit 1)

test: $(TEST_STAMP) system-deps
	$(BIN)/python -m pytest -q

# Unit and API tests only (no namespaces, daemons or Chromium): a minute or two, for while you work.
test-fast: $(TEST_STAMP)
	$(BIN)/python -m pytest -q -m "not integration and not e2e"

bench: $(TEST_STAMP)
	$(BIN)/python -m bench

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(TEST_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache test-artifacts

# Homeport: `make run` starts it on its embedded defaults; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
HOME_DIR ?= var/homeport
VOLUME ?= var/volume1
HTTP_PORT ?= 5000
HTTPS_PORT ?= 5001
# Debian packages the tests drive for real: Chromium (console e2e), fonts for its screenshots,
# NSS tools (to make Chromium trust the device CA), iproute2 (interfaces, namespaces), for the LAN lab:
# dnsmasq (DHCP server), busybox udhcpc (DHCP client), dig (an independent mDNS client), curl;
# e2fsprogs and mount (loop-mounted ext4 volumes), and testssl.sh (an outside audit of the HTTPS server).
TEST_DEBS := chromium fonts-dejavu-core libnss3-tools iproute2 dnsmasq-base udhcpc bind9-dnsutils curl e2fsprogs mount testssl.sh

.PHONY: run test test-fast bench lint format system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==26.3

$(RUN_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	touch $(RUN_STAMP)

$(TEST_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(RUN_STAMP) $(TEST_STAMP)

run: $(RUN_STAMP)
	mkdir -p $(VOLUME)
	$(BIN)/homeport serve --home $(HOME_DIR) --volume $(VOLUME) --http-port $(HTTP_PORT) --https-port $(HTTPS_PORT)

system-deps:
	@missing=$$(for p in $(TEST_DEBS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "Missing Debian packages: $$missing (run 'make test' as root, or: sudo apt-get install $$missing)"; exit 1; \
	  fi; \
	fi

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

# SPDX-License-Identifier: GPL-2.0
#
# mpsc: build the module against KDIR (the running kernel by default), or
# run it for real in a QEMU guest: make demo, make check. See README.md.

KDIR ?= /lib/modules/$(shell uname -r)/build


all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

modules_install:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	-$(MAKE) -C selftests/mpsc OUTPUT=$(CURDIR)/build/selftests clean
	rm -rf build

# Install the Debian packages the guest targets need (root; only missing).
deps:
	tools/deps.sh base

# The Rust book's multi-producer example, with processes, in a guest.
demo: deps
	tools/demo.sh

# Everything the project promises, checked: build with W=1, checkpatch,
# sparse, the selftests in a guest, the guest log scan.
check: deps
	tools/check.sh

# The same suite in a 6.12 debug kernel (KASAN, lockdep, kmemleak, UBSAN,
# failslab), built once from Debian's linux-source-6.12 and cached.
check-debug:
	tools/deps.sh base debug
	tools/check-debug.sh

# The benchmark (issue 6): mpsc against pipes, FIFOs, mqueue and AF_UNIX
# sockets in one guest boot; tables and plot in bench/results/. QUICK=1 for
# a smoke run of a minute or two. See bench/README.md.
bench: deps
	tools/deps.sh bench
	$(MAKE) -C /lib/modules/$${GUEST_KVER:-$$(tools/guest-kernel.sh)}/build M=$(CURDIR) modules
	$(MAKE) -C bench
	bench/run.sh

.PHONY: bench

.PHONY: all modules modules_install clean deps demo check check-debug

# --- Installing on a real machine (see README.md) ---------------------------
# make install [DESTDIR=] [PREFIX=/usr] [KDIR=]: the module (for the kernel
# of KDIR, as /lib/modules/<release>/extra/module/mpsc.ko), the uapi header,
# the udev rule, the man page, a modprobe.d options file with every line
# commented out, and a modules-load.d example in the doc folder (not
# enabled). SIGN_KEY=, SIGN_CERT= sign the installed module (Secure Boot).
# After a DKMS install, "make install-files" adds all but the module.

VERSION := $(shell sed -n 's/^MODULE_VERSION("\(.*\)");/\1/p' module/dev.c)
PREFIX ?= /usr
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/mpsc
SYSCONFDIR ?= /etc
UDEVRULESDIR ?= /usr/lib/udev/rules.d
INSTALL_MOD_DIR ?= extra
KVER ?= $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null)
MODDEST = $(DESTDIR)/lib/modules/$(KVER)/$(INSTALL_MOD_DIR)/module
SIGN_HASH ?= $(or $(shell sed -n 's/^CONFIG_MODULE_SIG_HASH="\(.*\)"/\1/p' \
	$(KDIR)/.config 2>/dev/null),sha256)
# Distribution headers lack the kernel's signing key: skip kbuild's attempt.
MPSC_NOSIGN = $(if $(wildcard $(KDIR)/certs/signing_key.x509),,CONFIG_MODULE_SIG_ALL=)
MODPROBE_CONF = $(DESTDIR)$(SYSCONFDIR)/modprobe.d/mpsc.conf

install: install-module install-files

# The module alone, for the kernel of KDIR; depmod unless DESTDIR is set.
install-module: modules
	@test -n "$(KVER)" || { echo "install: no kernel release in $(KDIR)"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) $(MPSC_NOSIGN) modules_install
	$(if $(SIGN_KEY),$(KDIR)/scripts/sign-file $(SIGN_HASH) $(SIGN_KEY) \
		$(or $(SIGN_CERT),$(error SIGN_KEY needs SIGN_CERT)) $(MODDEST)/mpsc.ko)
	$(if $(DESTDIR),,depmod -a $(KVER))

# Everything but the module (what a DKMS install lacks). An edited
# modprobe.d/mpsc.conf is kept.
install-files:
	install -D -m 644 uapi/linux/mpsc.h $(DESTDIR)$(INCLUDEDIR)/linux/mpsc.h
	install -D -m 644 udev/60-mpsc.rules $(DESTDIR)$(UDEVRULESDIR)/60-mpsc.rules
	install -D -m 644 man/mpsc.4 $(DESTDIR)$(MANDIR)/man4/mpsc.4
	install -D -m 644 etc/modules-load.d/mpsc.conf \
		$(DESTDIR)$(DOCDIR)/modules-load.d/mpsc.conf
	@if [ -e $(MODPROBE_CONF) ] && ! cmp -s etc/modprobe.d/mpsc.conf $(MODPROBE_CONF); then \
		echo "install: keeping your $(MODPROBE_CONF)"; \
	else \
		echo install -D -m 644 etc/modprobe.d/mpsc.conf $(MODPROBE_CONF); \
		install -D -m 644 etc/modprobe.d/mpsc.conf $(MODPROBE_CONF); \
	fi

uninstall: uninstall-module uninstall-files

uninstall-module:
	@test -n "$(KVER)" || { echo "uninstall: no kernel release in $(KDIR)"; exit 1; }
	rm -f $(MODDEST)/mpsc.ko
	-rmdir --ignore-fail-on-non-empty $(MODDEST) $(dir $(MODDEST))
	$(if $(DESTDIR),,depmod -a $(KVER))

uninstall-files:
	rm -f $(DESTDIR)$(INCLUDEDIR)/linux/mpsc.h \
		$(DESTDIR)$(UDEVRULESDIR)/60-mpsc.rules \
		$(DESTDIR)$(MANDIR)/man4/mpsc.4 \
		$(DESTDIR)$(DOCDIR)/modules-load.d/mpsc.conf
	-rmdir --ignore-fail-on-non-empty $(DESTDIR)$(DOCDIR)/modules-load.d \
		$(DESTDIR)$(DOCDIR)
	@if cmp -s etc/modprobe.d/mpsc.conf $(MODPROBE_CONF); then \
		echo rm -f $(MODPROBE_CONF); rm -f $(MODPROBE_CONF); \
	elif [ -e $(MODPROBE_CONF) ]; then \
		echo "uninstall: keeping your edited $(MODPROBE_CONF)"; \
	fi

# Source tarball build/mpsc-$(VERSION).tar.gz, for DKMS or packaging.
dist:
	tools/dist.sh build

# DKMS build and install of a copy of the tree in a scratch DKMS tree,
# against the installed Debian headers.
dkms-check:
	tools/deps.sh base install
	tools/dkms-check.sh

# mpsc(4) renders without warnings and documents what the code does.
man-check:
	tools/deps.sh install
	tools/man-check.sh

# CI stage: make install into a scratch DESTDIR and uninstall, the man
# page check and the DKMS check.
install-check:
	tools/deps.sh base install
	tools/install-check.sh

# The multi-producer example in C, Python, Rust and shell, each run in a
# QEMU guest; "examples" runs all four in one guest.
examples: deps
	tools/examples.sh c python rust shell

example-c example-python example-rust example-shell: deps
	tools/examples.sh $(@:example-%=%)

.PHONY: install install-module install-files uninstall uninstall-module \
	uninstall-files dist dkms-check man-check install-check examples \
	example-c example-python example-rust example-shell

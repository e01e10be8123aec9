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

.PHONY: all modules modules_install clean deps demo check

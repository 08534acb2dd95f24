# SPDX-License-Identifier: GPL-2.0
#
# cacheproxy: build the modules against a kernel tree, and run the tests.
#
#   make [KDIR=DIR]        build cacheproxy.ko (and cacheproxy_kunit.ko where
#                          the kernel has KUnit) against DIR
#   make W=1               the same with extra warnings (must stay clean)
#   make install           modules_install + depmod (INSTALL_MOD_PATH honoured)
#   make tools             the user-space programs and kselftests
#   make check             the whole test suite in QEMU guests (see README)
#   make torture           the 30 s soak per strategy on the debug and KCSAN
#                          kernels, then the negative control
#   make demo              boot a guest, load the module and look keys up
#   make clean

KDIR ?= /lib/modules/$(shell uname -r)/build
# The kernel source tree that provides kselftest_harness.h and checkpatch.pl.
KSRC ?= $(shell scripts/build-kernel --src 2>/dev/null)

.PHONY: all modules install modules_install clean tools check torture demo

all: modules

modules:
	@if [ ! -f "$(KDIR)/Makefile" ]; then \
		echo "cacheproxy: no kernel build tree at $(KDIR): install the headers package (apt install linux-headers-\$$(uname -r)), pass KDIR=<prepared tree>, or run the module in a guest with scripts/vm-run" >&2; \
		exit 1; \
	fi
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# kbuild's modules_install runs depmod itself (against INSTALL_MOD_PATH).
install modules_install: modules
	@if [ -n "$(CACHEPROXY_BUSTED)$(CACHEPROXY_PLANT)" ]; then \
		echo "cacheproxy: refusing to install a test build (CACHEPROXY_BUSTED or CACHEPROXY_PLANT is set)" >&2; \
		exit 1; \
	fi
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install

tools:
	$(MAKE) -C userspace-tool
	$(MAKE) -C selftests KSRC=$(KSRC)

check:
	@scripts/check

torture:
	@scripts/torture
	@scripts/negative-control

demo:
	@scripts/demo

clean:
	@if [ -f "$(KDIR)/Makefile" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -f module/*.o kunit/*.o *.ko *.mod *.mod.c *.o modules.order Module.symvers
	@for d in userspace-tool selftests; do \
		if [ -f $$d/Makefile ]; then $(MAKE) -C $$d clean; fi; \
	done

# SPDX-License-Identifier: GPL-2.0
#
# kipc: kernel module, library, tools and selftests.
#   make            build everything (module against KDIR)
#   make run        boot the test VM, load kipc.ko, run the demo
#   make check      the whole test suite on every kernel in KERNELS
# The module is never loaded on the build machine: tests run in a VM.

KERNELS ?= 6.1 6.12
export KIPC_CACHE ?= /var/cache/kipc

# Build the module against KDIR: the running kernel's build tree if there
# is one, else the headers of the VM's default kernel (Debian 6.1 cloud).
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	$(wildcard /lib/modules/6.1.*-cloud-amd64/build))
BUILD := $(CURDIR)/build
KSRC = $(shell tools/ksrc)
KMOD_SRCS := Kbuild $(wildcard kmod/Kbuild kmod/*.c kmod/*.h kmod/include/uapi/linux/*.h)

all: modules lib tools selftests

deps:
	tools/install-deps

# Out-of-tree builds for several kernels from one source tree: each kernel
# gets a copy of the sources under build/, so objects never collide.
modules: $(KMOD_SRCS)
	@test -n "$(KDIR)" || { echo "no kernel headers: run tools/install-deps or set KDIR" >&2; exit 1; }
	tools/build-module "$(KDIR)" "$(BUILD)/kmod"

lib:
	$(MAKE) -C lib

tools: lib
	$(MAKE) -C tools

selftests: lib
	$(MAKE) -C selftests KSFT_DIR="$(KSRC)/tools/testing/selftests"

check:
	KERNELS="$(KERNELS)" tools/check

check-debug:
	KERNELS=debug tools/check

run: deps lib tools
	tools/run-demo

checkpatch:
	tools/checkpatch

sparse: $(KMOD_SRCS)
	tools/build-module --sparse "$(KDIR)" "$(BUILD)/kmod-sparse"

clean:
	$(MAKE) -C lib clean
	$(MAKE) -C tools clean
	$(MAKE) -C selftests clean KSFT_DIR=.
	rm -rf "$(BUILD)"

.PHONY: all deps modules lib tools selftests check check-debug run checkpatch sparse clean

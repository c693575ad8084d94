# SPDX-License-Identifier: GPL-2.0
#
# kipc: kernel module, library, tools and selftests.
#   make            build everything (module against KDIR)
#   make run        boot the test VM, load kipc.ko, run the demo
#   make check      the whole test suite on every kernel in KERNELS
# The module is never loaded on the build machine: tests run in a VM.

KERNELS ?= 6.1 6.12 7.3
# The one version: VERSION. Everything else reads it (lib/Makefile,
# lib/rpc/Makefile, dkms.conf and the man pages at install, kmod/Kbuild's
# MODULE_VERSION); `make version-check` fails on any file that states one.
KIPC_VERSION := $(file <VERSION)
$(if $(KIPC_VERSION),,$(error VERSION is missing or empty))
export KIPC_CACHE ?= /var/cache/kipc

# Build the module against KDIR: the running kernel's build tree if there
# is one, else the headers of the VM's default kernel (Debian 6.1 cloud),
# which scripts/vm/kernel unpacks into the cache (worked out once, when used).
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) $(KDIR_VM))
KDIR_VM = $(eval KDIR_VM := $(shell eval "$$(scripts/vm/kernel 6.1)" && echo "$$KIPC_KDIR"))$(KDIR_VM)
BUILD := $(CURDIR)/build
KSRC = $(shell scripts/ksrc)
KMOD_SRCS := Kbuild $(wildcard kmod/Kbuild kmod/*.c kmod/*.h kmod/include/uapi/linux/*.h)

all: modules lib tools selftests examples

version-check:
	scripts/version-check

deps:
	scripts/install-deps

# Out-of-tree builds for several kernels from one source tree: each kernel
# gets a copy of the sources under build/, so objects never collide.
modules: $(KMOD_SRCS)
	@test -n "$(KDIR)" || { echo "no kernel headers: see scripts/vm/kernel 6.1, or set KDIR" >&2; exit 1; }
	scripts/build-module "$(KDIR)" "$(BUILD)/kmod"

lib:
	$(MAKE) -C lib

tools: lib
	$(MAKE) -C tools

# kipc-demo (make run) and the ADD example over kipc, TCP and UDP
# (rpcgen at build time).
examples: lib
	$(MAKE) -C examples/demo
	$(MAKE) -C examples/add

# The kselftests plus the long-running test programs (fuzz/, stress/).
selftests: lib
	$(MAKE) -C selftests KSFT_DIR="$(KSRC)/tools/testing/selftests"
	$(MAKE) -C selftests/fuzz
	$(MAKE) -C selftests/stress

# The 32-bit ABI: libkipc, libkipc-rpc, every selftest and kipc-ctl (for
# kipc_ctl_test) built with gcc -m32: the programs into build/m32/, the
# libraries and objects into build/m32-obj/. scripts/check runs the suite
# with both builds. Needs gcc-multilib and the i386 liburing-dev and
# libtirpc-dev (scripts/install-deps). kselftest_harness.h prints any
# ASSERT_EQ operand, pointers too, through a cast to uintmax_t: wider than
# a pointer here, hence -Wno-pointer-to-int-cast for the selftests.
M32 := $(BUILD)/m32
M32_OBJ := $(BUILD)/m32-obj
M32_ENV := PKG_CONFIG_PATH=/usr/lib/i386-linux-gnu/pkgconfig KIPC_LIB="$(M32_OBJ)/lib" OUT="$(M32)"
m32:
	$(MAKE) -C lib CFLAGS="-O2 -g -m32" PKG_CONFIG_PATH=/usr/lib/i386-linux-gnu/pkgconfig \
		OUT="$(M32_OBJ)/lib"
	$(MAKE) -C selftests $(M32_ENV) CFLAGS="-O2 -g -m32 -Wno-pointer-to-int-cast" \
		RPCGEN_DIR="$(M32_OBJ)/rpcgen" KSFT_DIR="$(KSRC)/tools/testing/selftests"
	$(MAKE) -C tools $(M32_ENV) CFLAGS="-O2 -g -m32" "$(M32)/kipc-ctl"

check:
	KERNELS="$(KERNELS)" scripts/check

# The same on the debug kernel (KASAN, lockdep, kmemleak, UBSAN), plus the
# stress and fuzz runs; builds that kernel once (scripts/vm/build-debug-kernel).
check-debug:
	scripts/check-debug

# The race-detector lane: a second debug kernel with KCSAN (no KASAN, no
# kmemleak; scripts/vm/build-kcsan-kernel), the concurrency selftests, a
# stress and a fuzz run; fails on any KCSAN report in kipc code. Not in CI.
check-kcsan:
	scripts/check-kcsan

# Line and branch coverage of kmod/ on the debug kernel (gcov): the native
# suite, a short stress and fuzz run; report in build/coverage/.
coverage:
	scripts/coverage
.PHONY: coverage

run: deps lib tools examples
	scripts/run-demo

# kipc-bench in the test VM (6.1): table, CSV, JSON and plots in
# build/bench/<timestamp>/ (scripts/run-bench --help).
bench: deps lib tools
	scripts/run-bench $(if $(MODE),--mode $(MODE))
.PHONY: bench

checkpatch:
	scripts/checkpatch

sparse: $(KMOD_SRCS)
	scripts/build-module --sparse "$(KDIR)" "$(BUILD)/kmod-sparse"

# ---- install: DESTDIR (staging root) and PREFIX (default /usr/local) ----
# The module goes to /lib/modules/<release of KDIR>/updates (then depmod,
# unless DESTDIR is set); install-dkms puts the module source where dkms
# wants it instead (see dkms.conf.in). scripts/test-install checks all of this.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/kipc
# udev reads rules from /etc, /run and /usr/lib only: /usr/local uses /etc.
UDEVRULESDIR ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/udev/rules.d,/etc/udev/rules.d)
INSTALL ?= install
# The release the module is built for, as in its vermagic (Debian's 6.1
# headers carry the upstream version in include/config/kernel.release).
KREL = $(shell sed -n 's/^.define UTS_RELEASE "\(.*\)"$$/\1/p' \
	"$(KDIR)/include/generated/utsrelease.h" 2>/dev/null)
# Every program tools/ builds is installed (kipcctl is kipc-ctl).
INSTALL_TOOLS = $(addprefix tools/,$(shell $(MAKE) -s --no-print-directory -C tools print-install-progs))
INSTALL_HEADERS := lib/include/kipc.h lib/include/kipc_shm.h lib/include/kipc_ring.h \
	lib/include/kipc_rpc.h

install: install-module install-lib install-tools install-man install-data

install-module: modules
	@test -n "$(KREL)" || { echo "install: no UTS_RELEASE in $(KDIR)/include/generated/utsrelease.h" >&2; exit 1; }
	$(INSTALL) -d "$(DESTDIR)/lib/modules/$(KREL)/updates"
	$(INSTALL) -m 0644 "$(BUILD)/kmod/kmod/kipc.ko" "$(DESTDIR)/lib/modules/$(KREL)/updates/kipc.ko"
	if [ -z "$(DESTDIR)" ]; then depmod -a "$(KREL)"; fi

install-lib: lib
	$(MAKE) -C lib kipc.pc PREFIX="$(PREFIX)" LIBDIR="$(LIBDIR)" INCLUDEDIR="$(INCLUDEDIR)"
	$(INSTALL) -d "$(DESTDIR)$(LIBDIR)/pkgconfig" "$(DESTDIR)$(INCLUDEDIR)/linux"
	$(INSTALL) -m 0755 lib/libkipc.so.$(KIPC_VERSION) "$(DESTDIR)$(LIBDIR)/"
	ln -sf libkipc.so.$(KIPC_VERSION) "$(DESTDIR)$(LIBDIR)/libkipc.so.0"
	ln -sf libkipc.so.0 "$(DESTDIR)$(LIBDIR)/libkipc.so"
	$(INSTALL) -m 0644 lib/libkipc.a "$(DESTDIR)$(LIBDIR)/"
	$(INSTALL) -m 0755 lib/rpc/libkipc-rpc.so.$(KIPC_VERSION) "$(DESTDIR)$(LIBDIR)/"
	ln -sf libkipc-rpc.so.$(KIPC_VERSION) "$(DESTDIR)$(LIBDIR)/libkipc-rpc.so.0"
	ln -sf libkipc-rpc.so.0 "$(DESTDIR)$(LIBDIR)/libkipc-rpc.so"
	$(INSTALL) -m 0644 lib/rpc/libkipc-rpc.a "$(DESTDIR)$(LIBDIR)/"
	$(INSTALL) -m 0644 lib/kipc.pc "$(DESTDIR)$(LIBDIR)/pkgconfig/"
	$(INSTALL) -m 0644 $(INSTALL_HEADERS) "$(DESTDIR)$(INCLUDEDIR)/"
	$(INSTALL) -m 0644 kmod/include/uapi/linux/kipc.h "$(DESTDIR)$(INCLUDEDIR)/linux/"
	if [ -z "$(DESTDIR)" ] && command -v ldconfig >/dev/null; then ldconfig; fi

install-tools: tools
	$(INSTALL) -d "$(DESTDIR)$(BINDIR)"
	$(INSTALL) -m 0755 $(INSTALL_TOOLS) "$(DESTDIR)$(BINDIR)/"
	ln -sf kipc-ctl "$(DESTDIR)$(BINDIR)/kipcctl"

# Filled in here (man/fill-page.awk): the pages' .TH lines say "kipc
# @VERSION@", and kipc(7) gets the uapi header's errno contract table.
install-man:
	$(INSTALL) -d "$(DESTDIR)$(MANDIR)/man1" "$(DESTDIR)$(MANDIR)/man3" "$(DESTDIR)$(MANDIR)/man7"
	for page in $(wildcard man/*.[137]); do \
		base=$${page##*/}; dest="$(DESTDIR)$(MANDIR)/man$${base##*.}/$$base"; \
		awk -v version="$(KIPC_VERSION)" -f man/fill-page.awk \
			kmod/include/uapi/linux/kipc.h "$$page" > "$$dest" && \
		chmod 0644 "$$dest" || exit 1; \
	done
	# One .so stub per other name in a page's NAME line (man kipc_recv).
	for page in $(wildcard man/*.1 man/*.3); do \
		base=$${page##*/}; sec=$${base##*.}; \
		for fn in $$(sed -n '/^\.SH NAME/{n;s/ \\-.*//;s/,/ /g;p;q;}' "$$page"); do \
			[ "$$fn.$$sec" = "$$base" ] || \
				echo ".so man$$sec/$$base" > "$(DESTDIR)$(MANDIR)/man$$sec/$$fn.$$sec"; \
		done; \
	done

install-data:
	$(INSTALL) -d "$(DESTDIR)$(UDEVRULESDIR)" "$(DESTDIR)$(DOCDIR)"
	$(INSTALL) -m 0644 udev/60-kipc.rules "$(DESTDIR)$(UDEVRULESDIR)/"
	$(INSTALL) -m 0644 modprobe.d/kipc.conf.example "$(DESTDIR)$(DOCDIR)/"

# The module source for dkms: /usr/src/kipc-<version> (dkms.conf, made from
# dkms.conf.in; Kbuild; VERSION, which kmod/Kbuild reads as ../VERSION; kmod/).
DKMS_SRC = $(DESTDIR)/usr/src/kipc-$(KIPC_VERSION)
install-dkms:
	$(INSTALL) -d "$(DKMS_SRC)/kmod/include/uapi/linux"
	sed 's/@VERSION@/$(KIPC_VERSION)/g' dkms.conf.in > "$(DKMS_SRC)/dkms.conf"
	chmod 0644 "$(DKMS_SRC)/dkms.conf"
	$(INSTALL) -m 0644 Kbuild VERSION "$(DKMS_SRC)/"
	$(INSTALL) -m 0644 kmod/Kbuild $(wildcard kmod/*.c kmod/*.h) "$(DKMS_SRC)/kmod/"
	$(INSTALL) -m 0644 kmod/include/uapi/linux/kipc.h "$(DKMS_SRC)/kmod/include/uapi/linux/"

# Debian packages (kipc-dkms, libkipc0, libkipc-rpc0, libkipc-dev,
# kipc-tools) into build/deb/, checked with lintian; scripts/test-deb
# installs them in the Debian 13 root (make check does both).
deb:
	scripts/make-deb

clean:
	$(MAKE) -C lib clean
	$(MAKE) -C tools clean
	$(MAKE) -C examples/demo clean
	$(MAKE) -C examples/add clean
	$(MAKE) -C selftests/fuzz clean
	$(MAKE) -C selftests/stress clean
	$(MAKE) -C selftests clean KSFT_DIR=.
	rm -rf "$(BUILD)"

.PHONY: all version-check deps modules lib tools selftests m32 examples check check-debug check-kcsan run checkpatch sparse clean \
	install install-module install-lib install-tools install-man install-data install-dkms deb

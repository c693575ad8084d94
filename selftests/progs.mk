# SPDX-License-Identifier: GPL-2.0
# Shared by the test programs' Makefiles (fuzz/, stress/): each PROGS entry
# is one program from its .c files, statically linked against libkipc.a.

CC ?= gcc
CFLAGS ?= -O2 -g
KIPC_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	-I../../lib/include -I../../kmod/include/uapi
LIBKIPC := ../../lib/libkipc.a
HDRS := ../../lib/include/kipc.h ../../kmod/include/uapi/linux/kipc.h $(wildcard *.h)

all: $(PROGS)

%: %.c $(LIBKIPC) $(HDRS)
	$(CC) $(CFLAGS) $(KIPC_CFLAGS) $(LDFLAGS) -o $@ $(filter %.c,$^) $(LIBKIPC) -lpthread

clean:
	rm -f $(PROGS) $(EXTRA_CLEAN)

.PHONY: all clean

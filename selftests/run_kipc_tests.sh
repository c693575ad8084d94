#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM (tools/vm/kipc-vm --add ... -- ./run_kipc_tests.sh):
# loads kipc.ko, runs each kselftest program, checks that rmmod is refused
# while /dev/kipc is open and succeeds after. Prints TAP lines; exits
# non-zero on any failure. Usage: run_kipc_tests.sh [TEST_PROGRAM...]
set -u
cd "$(dirname "$0")" || exit 1

fail=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fail=1; }
mark() { echo "kipc-selftest: $*" > /dev/kmsg 2>/dev/null || true; }

if [ "$#" -eq 0 ]; then
	for t in kipc_*_test; do
		set -- "$@" "$t"
	done
fi

if insmod ./kipc.ko; then
	ok "kipc.insmod"
else
	notok "kipc.insmod"
	exit 1
fi
if [ -c /dev/kipc ]; then ok "kipc.dev_node"; else notok "kipc.dev_node"; fi

for t in "$@"; do
	if [ ! -x "./$t" ]; then
		notok "$t missing"
		continue
	fi
	mark "start $t"
	"./$t"
	rc=$?
	mark "end $t rc=$rc"
	# 4 is kselftest's "all skipped"; the harness printed why.
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ]; then
		notok "$t exited with status $rc"
	fi
done

exec 3< /dev/kipc
if rmmod kipc 2>/dev/null; then
	notok "kipc.rmmod_refused_while_open"
	insmod ./kipc.ko
else
	ok "kipc.rmmod_refused_while_open"
fi
exec 3<&-
if rmmod kipc; then ok "kipc.rmmod_after_close"; else notok "kipc.rmmod_after_close"; fi
if [ -e /sys/module/kipc ]; then notok "kipc.unloaded"; else ok "kipc.unloaded"; fi
exit "$fail"

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM (see scripts/run-demo; kipc.ko already loaded):
# starts rpcbind, serves the ADD program over kipc, TCP, UDP and AF_LOCAL
# at once, shows the registration with rpcinfo, and makes the same call
# over each transport with its round-trip time. With --bench, also the
# null / 4 KiB round-trip comparison. Needs next to it: add-server,
# add-client, rpcbind, rpcinfo, and the host's /etc/netconfig and
# /etc/services (TI-RPC looks up the "sunrpc" service to reach rpcbind).
# Exit status: 0 when every call was right.
set -u
cd "$(dirname "$0")" || exit 1

bench=0
count=1000
if [ "${1:-}" = "--bench" ]; then
	bench=1
	count=${2:-2000}
fi
fail=0
sock=/tmp/add.sock

# What rpcbind and TI-RPC expect of a system: loopback, /etc/netconfig,
# /etc/services, the _rpc user rpcbind drops to, /run for its socket.
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
[ -f /etc/netconfig ] || cp ./netconfig /etc/netconfig
[ -f /etc/services ] || cp ./services /etc/services
grep -q '^_rpc:' /etc/passwd || echo '_rpc:x:102:65534::/run/rpcbind:/usr/sbin/nologin' >>/etc/passwd
mkdir -p /run/rpcbind
[ -e /var/run ] || { mkdir -p /var && ln -s /run /var/run; }

./rpcbind -f -w &
rpcbind_pid=$!
i=0
while [ ! -S /run/rpcbind.sock ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done

# Under TCG (no KVM) a wakeup across vCPUs costs milliseconds and drowns
# every transport's own cost; pin server and client to one CPU so the
# times compare the transports (the --bench run shows both).
pin=
command -v taskset >/dev/null 2>&1 && pin="taskset 1"
$pin ./add-server -n add -u "$sock" >/tmp/add-server.log 2>&1 &
server_pid=$!
i=0
while ! grep -q '^ready' /tmp/add-server.log 2>/dev/null && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
echo "== add-server (pid $server_pid)"
cat /tmp/add-server.log
grep -q '^ready' /tmp/add-server.log || fail=1

echo "== rpcinfo -p 127.0.0.1"
./rpcinfo -p 127.0.0.1 || fail=1
./rpcinfo -p 127.0.0.1 | grep -q '536890185 *1 *tcp' || { echo "add not registered for tcp"; fail=1; }

echo "== the same call, ADD(2, 3), over each transport${pin:+ (one CPU)}"
for t in kipc unix tcp udp; do
	$pin ./add-client -t "$t" -u "$sock" -c 1000 2 3 || fail=1
done

if [ "$bench" -eq 1 ]; then
	echo "== round trips: null procedure and a 4 KiB argument${pin:+ (one CPU)}"
	$pin ./add-client -t all -u "$sock" -c "$count" --bench || fail=1
	if [ -n "$pin" ]; then
		echo "== the same, server and client free to run on any CPU"
		taskset -p 3 "$server_pid" >/dev/null
		./add-client -t all -u "$sock" -c "$count" --bench || fail=1
	fi
fi

kill "$server_pid" "$rpcbind_pid" 2>/dev/null
wait "$server_pid" 2>/dev/null
wait "$rpcbind_pid" 2>/dev/null
exit "$fail"

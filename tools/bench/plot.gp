# SPDX-License-Identifier: GPL-2.0
#
# kipc-bench plots, driven by scripts/run-bench:
#   gnuplot -e "datadir='...'; outdir='...'; term='pngcairo'; ext='png'; \
#       transports='kipc-chan kipc-ref ...'; xtics_spec='(\"8B\" 8, ...)'; \
#       xrange_spec='[5:9e7]'; \
#       xover=4096; cl_us=1.5; kernel='6.1...'" tools/bench/plot.gp
# datadir holds <transport>.dat (size p50_us p99_us msg_per_s gb_per_s) and
# floor-memread.dat / floor-memcpy.dat (size gb_per_s). xover (streaming)
# and xover_rtt (round trip) are the sizes from which reference handoff
# beats the channel (0: none), cl_us the
# cache-line round trip floor in microseconds (0: not measured); mode
# 'time' (the default) or 'cost' (QEMU -icount: every guest "ns" is one
# guest instruction, so the axes count instructions, not time).

if (term eq 'svg') {
	set terminal svg size 1100,700 dynamic font 'Sans,11'
} else {
	eval sprintf("set terminal %s size 1100,700 font 'Sans,10'", term)
}
set datafile missing 'NaN'
set logscale x 2
set logscale y 10
set grid xtics ytics mytics lc rgb '#dddddd'
set key outside right top spacing 1.1
set xlabel 'message size'
if (strlen(xtics_spec) > 0) { eval 'set xtics '.xtics_spec }
if (strlen(xrange_spec) > 0) { eval 'set xrange '.xrange_spec }
set format y (term eq 'svg' ? '%g' : '10^{%L}')
set xtics rotate by -45

# kipc paths bold and solid, pipe (the baseline) black, the rest thin and dashed
is_kipc(t) = strstrt(t, 'kipc-') == 1
lw(t) = is_kipc(t) ? 2.5 : t eq 'pipe' ? 2 : 1.2
dt(t) = is_kipc(t) || t eq 'pipe' ? 1 : 2
colors = '#9400d3 #009e73 #56b4e9 #e69f00 #e41a1c #0072b2 #d55e00 #cc79a7 #8c564b #bcbd22 #17becf #7f7f7f'
lc(i) = word(transports, i) eq 'pipe' ? '#000000' : word(colors, (i - 1) % 12 + 1)
file(t) = datadir.'/'.t.'.dat'
if (!exists('mode')) { mode = 'time' }
cost = mode eq 'cost'
how = cost ? 'cost mode: guest instructions' : 'emulated: compare ratios'
t(i) = word(transports, i)
n = words(transports)

# The crossover marks: round trip on the latency plot, streaming on the others.
if (!exists('xover_rtt')) { xover_rtt = 0 }
mark(x, what) = x > 0 ? sprintf("set arrow 1 from %g, graph 0 to %g, graph 1 nohead dt 3 lw 1.5 lc rgb '#aa0000'; set label 1 '%s' at %g, graph 0.97 left offset 0.5,0 textcolor rgb '#aa0000'", x, x, what, x) : 'unset arrow 1; unset label 1'

# ---- latency
eval mark(xover_rtt, 'round trip: reference handoff ahead from here')
set output outdir.'/latency.'.ext
set title sprintf("kipc-bench: round trip p50 vs message size (kernel %s; %s)", kernel, how)
set ylabel cost ? 'round trip p50 (thousands of guest instructions, log)' : 'round trip p50 (us, log)'
if (cl_us > 0) {
	plot for [i=1:n] file(t(i)) using 1:2 with linespoints lw lw(t(i)) dt dt(t(i)) lc rgb lc(i) pt 7 ps 0.6 title t(i), \
		cl_us with lines dt 4 lc rgb '#888888' title 'floor: cache-line round trip'
} else {
	plot for [i=1:n] file(t(i)) using 1:2 with linespoints lw lw(t(i)) dt dt(t(i)) lc rgb lc(i) pt 7 ps 0.6 title t(i)
}

# ---- bandwidth
eval mark(xover, 'streaming: reference handoff ahead of the channel from here')
set output outdir.'/bandwidth.'.ext
set title sprintf("kipc-bench: streaming bandwidth vs message size, receiver reads every byte (kernel %s; %s)", kernel, how)
set ylabel cost ? 'payload bytes per guest instruction (log)' : 'GB/s (log)'
set key outside right top
plot for [i=1:n] file(t(i)) using 1:5 with linespoints lw lw(t(i)) dt dt(t(i)) lc rgb lc(i) pt 7 ps 0.6 title t(i), \
	datadir.'/floor-memread.dat' using 1:2 with lines dt 4 lw 1.5 lc rgb '#444444' title 'floor: memory read', \
	datadir.'/floor-memcpy.dat' using 1:2 with lines dt 5 lw 1.5 lc rgb '#999999' title 'floor: memcpy'

# ---- message rate
set output outdir.'/rate.'.ext
set title sprintf("kipc-bench: streaming messages per second vs message size (kernel %s; %s)", kernel, how)
set ylabel cost ? 'messages per 10^9 guest instructions (log)' : 'messages/s (log)'
plot for [i=1:n] file(t(i)) using 1:4 with linespoints lw lw(t(i)) dt dt(t(i)) lc rgb lc(i) pt 7 ps 0.6 title t(i)

unset output

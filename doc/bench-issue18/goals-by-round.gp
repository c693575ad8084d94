# gnuplot -e 'out="goals-by-round.png"' goals-by-round.gp (in doc/bench-issue18/)
# Issue 18's goal ratios by round of fast-path work, from goals-by-round.dat.
if (!exists("out")) out = "goals-by-round.png"
set terminal pngcairo size 1200,860 font ",10"
set output out
set datafile missing "-"
set termoption noenhanced
set key top right font ",9" maxrows 3 width -2
set xrange [-0.3:9.3]
set xtics 1
set grid ytics
set xlabel "round (0: before the fast-path work)"
set ylabel "ratio (rate to pipe's; 2: pipe's p50 / kipc's)"
set multiplot layout 2,2 title "issue 18 goals at 64 B, kipc against pipe"
blocks = "cost 6.1|cost 7.3|time 6.1|time 7.3"
do for [b=0:3] {
	set title (b == 0 ? "cost mode, 6.1" : b == 1 ? "cost mode, 7.3" : b == 2 ? "time mode, 6.1 (medians)" : "time mode, 7.3 (medians)")
	goal3 = (b < 2) ? 3 : 2
	set yrange [0.4:(b < 2 ? 3.6 : 3.0)]
	set arrow 1 from -0.3,1 to 9.3,1 nohead dt 2 lc "gray40"
	set arrow 2 from -0.3,goal3 to 9.3,goal3 nohead dt 2 lc "gray10"
	set label 1 sprintf("goal 3: %dx pipe", goal3) at 0,goal3-0.08 font ",8"
	plot "goals-by-round.dat" index b using 1:2 w lp pt 7 t "1a stream", \
	     "" index b using 1:(1/$3) w lp pt 5 t "2 round trip", \
	     "" index b using 1:4 w lp pt 9 t "3a batch", \
	     "" index b using 1:5 w lp pt 11 t "3b io_uring batch", \
	     "" index b using 1:6 w lp pt 13 t "3c packed", \
	     "" index b using 1:7 w lp pt 15 t "3d io_uring packed"
}
unset multiplot

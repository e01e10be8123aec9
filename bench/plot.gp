# SPDX-License-Identifier: GPL-2.0
#
# The plot of make bench: run in bench/results/ (run.sh does it) on the
# data files mpscreport writes there; draws plot.png.
#   top left:     messages/s against producers at 64 B, every peer
#   top right:    MB/s against message size at 8 producers
#   bottom:       median ratio mpsc/peer at 64 B, 8 producers, min-max bars

title = system("cat plot.title 2>/dev/null")
set terminal pngcairo size 1600,1100 font "sans,10"
set output "plot.png"
set datafile missing "?"
set key outside right top spacing 1.1
set grid

peers = "mpsc mpsc-batch mpsc-uring fifo pipe pipe-uring pipe-pkt mqueue seqpacket dgram"
colors = "#7b2cbf #1b9e3e #3a86ff #e69f00 #c9a800 #56b4e9 #d62828 #000000 #8c564b #7f7f7f"
# mpsc variants solid and thick, the kernel's peers dashed.
lw(i) = i <= 3 ? 2.5 : 1.5
dt(i) = i <= 3 ? 1 : 2

set multiplot title title font "sans,13"

set origin 0, 0.42
set size 0.5, 0.54
set title "64 B messages: throughput against producers"
set logscale xy
set xlabel "producers"
set ylabel "messages/s (median)"
set xtics (1, 2, 8, 64)
plot for [i=1:10] "tput_64.dat" using 1:(column(i+1)) with linespoints \
	lw lw(i) dt dt(i) lc rgb word(colors, i) pt 7 ps 0.8 title word(peers, i)

set origin 0.5, 0.42
set size 0.5, 0.54
set title "8 producers: throughput against message size"
set xlabel "message size, bytes"
set ylabel "MB/s (median)"
set xtics ("8" 8, "64" 64, "1K" 1024, "4K" 4096, "64K" 65536)
plot for [i=1:10] "tput_8p.dat" using 1:(column(i+1)) with linespoints \
	lw lw(i) dt dt(i) lc rgb word(colors, i) pt 7 ps 0.8 title word(peers, i)

unset logscale
set origin 0, 0
set size 1, 0.42
set title "64 B, 8 producers: mpsc / peer, messages/s (median, min-max over rounds; above 1: mpsc wins)"
set xlabel ""
set ylabel "ratio"
set logscale y
set yrange [*:*]
set style fill solid 0.6 border -1
set boxwidth 0.6
set xtics auto
unset key
plot "ratio_64_8p.dat" using 0:2:xtic(1) with boxes lc rgb "#4477aa", \
	"" using 0:2:3:4 with yerrorbars lc rgb "black" pt -1, \
	1 with lines lc rgb "red" dt 2

unset multiplot

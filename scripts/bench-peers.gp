# SPDX-License-Identifier: GPL-2.0
# The chart of scripts/bench --peers: gnuplot -e "out='DIR'" bench-peers.gp
# reads DIR/peers.dat (scripts/bench-peers-report) and writes DIR/peers.png.
set terminal pngcairo size 1300,560 font ",10" noenhanced
set output out."/peers.png"
# Ten bars a group: two colours more than gnuplot's cycle of eight.
set linetype 9 lc rgb "#8c564b"
set linetype 10 lc rgb "#7f7f7f"
set linetype cycle 10
set multiplot layout 1,2 title "cacheproxy and its peers in one guest (QEMU TCG, 2 vCPUs)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set grid ytics
set key outside bottom center horizontal
set logscale y
set title "µs per 8-caller burst, database 10 µs (lower is better)"
plot for [c=2:11] out."/peers.dat" index 0 using c:xtic(1) title columnheader(c)
set title "hits per second, 2000 keys, by threads (higher is better)"
set xlabel "threads"
plot for [c=2:6] out."/peers.dat" index 1 using c:xtic(1) title columnheader(c)
unset multiplot

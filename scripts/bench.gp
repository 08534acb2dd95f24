# SPDX-License-Identifier: GPL-2.0
# The chart of scripts/bench: gnuplot -e "out='DIR'; panels=N" bench.gp
# reads DIR/chart.dat (scripts/bench-report: one block per panel, in the
# kernel, through the ioctl, and with panels=3 through the ioctl against
# cacheproxy-loaderd) and writes DIR/bench.png.
set terminal pngcairo size 550 * panels,520 font ",10" noenhanced
set output out."/bench.png"
set multiplot layout 1,panels title "cacheproxy: µs per 8-caller burst, load 10 µs (QEMU TCG; lower is better)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set logscale y
set ylabel "µs per burst (log)"
set grid ytics
set key outside bottom center horizontal
set xtics rotate by -30
set title "in-kernel (kthreads call the lookup)"
plot for [c=2:5] out."/chart.dat" index 0 using c:xtic(1) title columnheader(c)
set title "through the ioctl (cacheproxy-stress)"
plot for [c=2:5] out."/chart.dat" index 1 using c:xtic(1) title columnheader(c)
if (panels >= 3) {
	set title "through the ioctl, loaderd --threads 4 --delay-us 10"
	plot for [c=2:5] out."/chart.dat" index 2 using c:xtic(1) title columnheader(c)
}
unset multiplot

// SPDX-License-Identifier: GPL-2.0
/*
 * cacheproxy: a small command for humans over the ioctls of
 * /dev/cacheproxy: look keys up, invalidate, flush, print the counters.
 * Usage and exit codes: see usage_text below (--help).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/cacheproxy.h>

#include "client.h"
#include "counters.h"

static const char usage_text[] =
"usage: cacheproxy [--device PATH] COMMAND [ARGS...]\n"
"\n"
"Talk to the cacheproxy module through " CP_DEFAULT_DEVICE ".\n"
"\n"
"Commands:\n"
"  get KEY...        look each KEY up and print its value (\"KEY:N\") on a\n"
"                    line of its own; a failed lookup prints\n"
"                    \"cacheproxy: get KEY: <error>\" on stderr and the\n"
"                    remaining keys are still looked up\n"
"  invalidate KEY... drop each KEY from the cache (not cached: no error)\n"
"  flush             drop every entry\n"
"  stats             the counters as \"name value\" lines: strategy, lookups,\n"
"                    hits, misses, loads_started, loads_ok, loads_failed,\n"
"                    coalesced, evictions, expirations, invalidations,\n"
"                    entries, inflight, nomem, refused, bytes, then one\n"
"                    line \"lat_ns_log2_I C\"\n"
"                    per non-empty latency bucket: C timed lookups took\n"
"                    [2^I, 2^(I+1)) ns (bucket 0 also counts 0 ns, the\n"
"                    last one everything longer; about one lookup in\n"
"                    lat_sample is timed, a line of its own); the names\n"
"                    are those of /proc/cacheproxy/stats\n"
"\n"
"Options:\n"
"  -d, --device PATH the misc device (default " CP_DEFAULT_DEVICE ")\n"
"  -h, --help        this text\n"
"\n"
"Exit status:\n"
"  0  success\n"
"  1  a command failed (e.g. a lookup failed with ENOENT)\n"
"  2  usage error, or the device cannot be opened (module not loaded)\n";

static const struct option long_options[] = {
	{ "device",	required_argument, NULL, 'd' },
	{ "help",	no_argument,	   NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("cacheproxy: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

static int cmd_get(int fd, int argc, char **argv)
{
	char val[CACHEPROXY_VALUE_MAX + 1];
	int i, err, ret = 0;
	size_t len;

	for (i = 0; i < argc; i++) {
		err = cp_dev_get(fd, argv[i], strlen(argv[i]), val,
				 sizeof(val), &len);
		if (err) {
			fprintf(stderr, "cacheproxy: get %s: %s\n", argv[i],
				strerror(-err));
			ret = 1;
			continue;
		}
		printf("%.*s\n", (int)len, val);
	}
	return ret;
}

static int cmd_invalidate(int fd, int argc, char **argv)
{
	int i, err, ret = 0;

	for (i = 0; i < argc; i++) {
		err = cp_dev_invalidate(fd, argv[i], strlen(argv[i]));
		if (err) {
			fprintf(stderr, "cacheproxy: invalidate %s: %s\n",
				argv[i], strerror(-err));
			ret = 1;
		}
	}
	return ret;
}

static int cmd_flush(int fd)
{
	int err = cp_dev_flush(fd);

	if (err) {
		fprintf(stderr, "cacheproxy: flush: %s\n", strerror(-err));
		return 1;
	}
	return 0;
}

static int cmd_stats(int fd)
{
	struct cacheproxy_stats st;
	int err = cp_dev_stats(fd, &st);
	unsigned int i;

	if (err) {
		fprintf(stderr, "cacheproxy: stats: %s\n", strerror(-err));
		return 1;
	}
	printf("strategy %s\n", st.strategy);
	/* Counters a kernel's STATS version lacks are not printed. */
	for (i = 0; i < cp_nr_counters; i++) {
		if (st.version >= cp_counters[i].version)
			printf("%s %llu\n", cp_counters[i].name,
			       (unsigned long long)cp_counter_value(&st, i));
	}
	if (st.version >= 5)
		printf("lat_sample %u\n", st.lat_sample);
	for (i = 0; i < CACHEPROXY_LAT_BUCKETS; i++) {
		if (st.lat_ns_log2[i])
			printf("lat_ns_log2_%u %llu\n", i,
			       (unsigned long long)st.lat_ns_log2[i]);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *device = CP_DEFAULT_DEVICE, *cmd;
	int c, fd, ret, nargs;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:d:h", long_options,
				NULL)) != -1) {
		switch (c) {
		case 'd':
			device = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case ':':
			return usage_error("option '%s' needs a value",
					   argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("%s", "no command (get, invalidate, flush, stats; see --help)");
	cmd = argv[optind++];
	nargs = argc - optind;
	if (!strcmp(cmd, "get") || !strcmp(cmd, "invalidate")) {
		if (!nargs)
			return usage_error("%s: needs at least one KEY", cmd);
	} else if (!strcmp(cmd, "flush") || !strcmp(cmd, "stats")) {
		if (nargs)
			return usage_error("%s: takes no argument", cmd);
	} else {
		return usage_error("unknown command '%s' (get, invalidate, flush, stats)",
				   cmd);
	}

	fd = cp_open(device);
	if (fd < 0) {
		fprintf(stderr, "cacheproxy: %s: %s%s\n", device,
			strerror(-fd),
			fd == -ENOENT ? " (is the cacheproxy module loaded?)" : "");
		return 2;
	}
	if (!strcmp(cmd, "get"))
		ret = cmd_get(fd, nargs, argv + optind);
	else if (!strcmp(cmd, "invalidate"))
		ret = cmd_invalidate(fd, nargs, argv + optind);
	else if (!strcmp(cmd, "flush"))
		ret = cmd_flush(fd);
	else
		ret = cmd_stats(fd);
	close(fd);
	if (fflush(stdout)) {
		fprintf(stderr, "cacheproxy: write error: %s\n", strerror(errno));
		ret = 1;
	}
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The helpers of the cacheproxy kselftests (see cacheproxy_selftest.h),
 * linked into each test as tools/testing/selftests/mm/vm_util.c is. What
 * the tools use too (the ioctls, the /proc files, the value contract) is
 * libcacheproxy's, in userspace-tool/lib.
 */
#include "cacheproxy_selftest.h"

long long cp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

const char *cp_ko_path(void)
{
	const char *path = getenv("CACHEPROXY_KO");

	return path && *path ? path : CP_KO_DEFAULT;
}

bool cp_module_present(const char *name)
{
	size_t len = strlen(name);
	char line[512];
	bool found = false;
	FILE *f;

	f = fopen("/proc/modules", "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, name, len) && line[len] == ' ';
	fclose(f);
	return found;
}

int cp_pin_to_this_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t one;

	if (cpu < 0)
		return -errno;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		return -errno;
	return cpu;
}

int cp_unload(const char *name, int ms)
{
	long long end = cp_now_ms() + ms;

	for (;;) {
		if (!syscall(SYS_delete_module, name, O_NONBLOCK))
			return 0;
		if ((errno != EAGAIN && errno != EBUSY) || cp_now_ms() > end)
			return -errno;
		usleep(10000);
	}
}

int cp_load(const char *params)
{
	int fd, ret, err;

	fd = open(cp_ko_path(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0);
	err = errno;
	close(fd);
	return ret ? -err : 0;
}

const char *cp_cannot_run(void)
{
	static char why[256];

	if (geteuid()) {
		snprintf(why, sizeof(why), "loading modules needs root");
		return why;
	}
	if (access(cp_ko_path(), R_OK)) {
		snprintf(why, sizeof(why), "%s: %s (set CACHEPROXY_KO)",
			 cp_ko_path(), strerror(errno));
		return why;
	}
	return NULL;
}

int cp_reload(const char *strategy, const char *extra, const char **step)
{
	char params[512];
	int ret;

	*step = "unload " CP_KUNIT_MODULE;
	ret = cp_unload(CP_KUNIT_MODULE, CP_UNLOAD_MS);
	if (ret && ret != -ENOENT)
		return ret;
	*step = "unload " CP_MODULE;
	ret = cp_unload(CP_MODULE, CP_UNLOAD_MS);
	if (ret && ret != -ENOENT)
		return ret;
	*step = "finit_module";
	snprintf(params, sizeof(params), "strategy=%s %s %s", strategy,
		 CP_PARAMS, extra ? extra : "");
	return cp_load(params);
}

int cp_control(const char *cmd)
{
	return cp_write_file(CP_PROC_CONTROL, cmd, strlen(cmd));
}

int cp_get_seq(int dev, const char *key, __u64 *seq)
{
	char val[CACHEPROXY_VALUE_MAX + 1];
	size_t len;
	int ret;

	*seq = 0;
	ret = cp_dev_get(dev, key, strlen(key), val, sizeof(val), &len);
	if (ret)
		return ret;
	if (len > CACHEPROXY_VALUE_MAX ||
	    cp_parse_value(key, strlen(key), val, len, seq))
		return -EBADMSG;
	return 0;
}

int cp_stats_quiet(int dev, struct cacheproxy_stats *st, int ms)
{
	long long end = cp_now_ms() + ms;
	int ret;

	for (;;) {
		ret = cp_dev_stats(dev, st);
		if (ret || !st->inflight || cp_now_ms() > end)
			return ret;
		usleep(1000);
	}
}

int cp_module_answers(const char *key)
{
	__u64 seq;
	int dev, ret;

	dev = cp_open(CP_DEV);
	if (dev < 0)
		return dev;
	ret = cp_get_seq(dev, key, &seq);
	close(dev);
	return ret;
}

int cp_wait_child(pid_t pid, int ms, int *status)
{
	long long end = cp_now_ms() + ms;
	pid_t ret;

	for (;;) {
		ret = waitpid(pid, status, WNOHANG);
		if (ret == pid)
			return 0;
		if (ret < 0)
			return -errno;
		if (cp_now_ms() > end)
			return -ETIMEDOUT;
		usleep(1000);
	}
}

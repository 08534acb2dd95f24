// SPDX-License-Identifier: GPL-2.0
/*
 * kselftests of unloading and signals under load: a child process with 64
 * threads waits in GET (or in a /proc lookup write) on slow- keys. While
 * they wait, unloading is refused (the open device pins the module) and the
 * module keeps answering. Then the child is killed, or exits on its own
 * with the lookups still blocked: it must be gone long before the loads
 * end (the loads are still in flight when it has been reaped), and the
 * module must then unload. Every test runs once per strategy; vm-run scans
 * kmemleak (debug kernel) and the kernel log afterwards.
 *
 * killed_one_by_one: ONE_BY_ONE children in a row, each with one GET
 * waiting on its own 60 s load, each killed and reaped within
 * CP_REAP_MAX_MS; the module then unloads at once (the loads' long delays
 * end at unload).
 */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "cacheproxy_selftest.h"
#include "kselftest_harness.h"

#define NR_WAITERS	64
/*
 * Long loads, so that a waiter still blocked is unmistakable, and so that
 * 64 forked waiters have all missed well before the first load ends
 * (READY_MS; 57 of 64 had after 2.5 s on a busy debug guest).
 */
#define SLOW_MS		8000
#define READY_MS	(SLOW_MS * 3 / 4)
/* Room on the loader beside the 64 slow loads for the liveness check's. */
#define UNLOAD_PARAMS	"slow_load_ms=8000 loader_max_active=128"
/*
 * The bound on signal-to-reaped of a child with NR_WAITERS threads in
 * lookups: far below SLOW_MS, so a waiter held until its load ends fails.
 * Ending a process of 64 threads is itself slow on the debug guest (QEMU
 * TCG, KASAN, lockdep): 65-1150 ms measured over two runs of the 16
 * cases, so this bound cannot also tell a wait that polls once a second
 * from a prompt one; killed_one_by_one does, with one thread per child
 * and CP_REAP_MAX_MS.
 */
#define REAP_MAX_MS	2000
/* killed_one_by_one: children killed in a row, each waiting on a 60 s load. */
#define ONE_BY_ONE	8
#define ONE_SLOW_MS	60000
/* Unloading may wait for the orphaned loads to drain. */
#define DRAIN_MS	(SLOW_MS * 4)

enum via { VIA_IOCTL, VIA_PROC };
enum ending { END_KILL, END_EXIT };

struct waiter {
	enum via via;
	int dev;
	char key[32];
};

/* One blocked lookup; errors do not matter, only that it blocks. */
static void *waiter_run(void *arg)
{
	struct waiter *w = arg;
	char val[CACHEPROXY_VALUE_MAX + 1];
	size_t len;
	int fd;

	if (w->via == VIA_IOCTL) {
		cp_dev_get(w->dev, w->key, strlen(w->key), val, sizeof(val),
			   &len);
		return NULL;
	}
	fd = open(CP_PROC_LOOKUP, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, w->key, strlen(w->key)) < 0)
			len = 0;
		close(fd);
	}
	return NULL;
}

/*
 * The child: NR_WAITERS threads block in lookups of slow- keys (distinct
 * or all the same), the device stays open (so the module is in use), and
 * the main thread waits for a byte on @ctl, then _exit()s with the
 * lookups still blocked. Never returns.
 */
static void __attribute__((noreturn))
child_run(enum via via, bool same_key, int ctl)
{
	static struct waiter w[NR_WAITERS];
	pthread_t tid;
	char c;
	int dev, i;

	dev = open(CP_DEV, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		_exit(2);
	for (i = 0; i < NR_WAITERS; i++) {
		w[i].via = via;
		w[i].dev = dev;
		snprintf(w[i].key, sizeof(w[i].key), "slow-unload-%d",
			 same_key ? 0 : i);
		if (pthread_create(&tid, NULL, waiter_run, &w[i]))
			_exit(3);
	}
	while (read(ctl, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

/* Counters from /proc/cacheproxy/stats, which does not pin the module. */
static int proc_stats(unsigned long long *misses,
		      unsigned long long *inflight)
{
	char buf[4096];
	ssize_t n;
	int ret;

	n = cp_read_file(CP_PROC_STATS, buf, sizeof(buf));
	if (n < 0)
		return n;
	ret = cp_stat_line(buf, "misses", misses);
	if (!ret)
		ret = cp_stat_line(buf, "inflight", inflight);
	return ret;
}

FIXTURE(unload) {
	bool loaded;
};

CP_STRATEGY_VARIANTS(unload);

FIXTURE_SETUP(unload)
{
	const char *why = cp_cannot_run();
	const char *step;
	int ret;

	if (why)
		SKIP(return, "%s", why);
	ret = cp_reload(variant->strategy, UNLOAD_PARAMS, &step);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", step, strerror(-ret));
	self->loaded = true;
}

FIXTURE_TEARDOWN(unload)
{
	int ret;

	if (!self->loaded)
		return;
	ret = cp_unload(CP_MODULE, DRAIN_MS);
	EXPECT_EQ(0, ret) TH_LOG("unload: %s", strerror(-ret));
}

static void unload_case(struct __test_metadata *_metadata,
			FIXTURE_DATA(unload) *self, enum via via,
			bool same_key, enum ending ending)
{
	unsigned long long misses0, misses, inflight0, inflight, need;
	long long t0, waited_ms, start, reap_ms, unload_ms;
	int ctl[2], status, ret;
	bool waiting = false;
	pid_t pid;

	ASSERT_EQ(0, proc_stats(&misses0, &inflight0));
	ASSERT_EQ(0ULL, inflight0);
	ASSERT_EQ(0, pipe2(ctl, O_CLOEXEC));
	t0 = cp_now_ms();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(ctl[1]);
		child_run(via, same_key, ctl[0]);
	}
	close(ctl[0]);

	/*
	 * Wait until all of them have missed; the distinct keys then have a
	 * load each in flight, the shared key at least one.
	 */
	need = same_key ? 1 : NR_WAITERS;
	while (cp_now_ms() < t0 + READY_MS) {
		ASSERT_EQ(0, proc_stats(&misses, &inflight));
		waiting = misses - misses0 >= NR_WAITERS && inflight >= need;
		if (waiting)
			break;
		usleep(2000);
	}
	waited_ms = cp_now_ms() - t0;
	if (!waiting) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	ASSERT_TRUE(waiting) TH_LOG("after %lld ms: %llu of %d waiters, %llu loads in flight",
				    waited_ms, misses - misses0, NR_WAITERS,
				    inflight);

	/* In use: refused without harm, and the module keeps answering. */
	if (via == VIA_IOCTL) {
		ret = syscall(SYS_delete_module, CP_MODULE, O_NONBLOCK);
		EXPECT_EQ(-1, ret);
		EXPECT_TRUE(errno == EWOULDBLOCK || errno == EBUSY)
			TH_LOG("delete_module while in use: %s",
			       strerror(errno));
		EXPECT_TRUE(cp_module_present(CP_MODULE));
		EXPECT_EQ(0, cp_module_answers("unload-alive"));
	}

	start = cp_now_ms();
	if (ending == END_KILL) {
		ASSERT_EQ(0, kill(pid, SIGKILL));
	} else {
		ASSERT_EQ(1, write(ctl[1], "x", 1));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	reap_ms = cp_now_ms() - start;
	close(ctl[1]);
	ASSERT_EQ(0, proc_stats(&misses, &inflight));
	TH_LOG("%d waiters after %lld ms; %s to reaped: %lld ms; %llu loads still in flight",
	       NR_WAITERS, waited_ms, ending == END_KILL ? "SIGKILL" : "exit",
	       reap_ms, inflight);
	if (ending == END_KILL) {
		EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			TH_LOG("child status %#x", status);
	} else {
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("child status %#x", status);
	}
	EXPECT_GT(REAP_MAX_MS, reap_ms);
	/* Reaped while the loads it waited for were still running. */
	EXPECT_LT(0ULL, inflight);

	/* Nobody holds the module now: it unloads once the loads drain. */
	start = cp_now_ms();
	ret = cp_unload(CP_MODULE, DRAIN_MS);
	unload_ms = cp_now_ms() - start;
	ASSERT_EQ(0, ret) TH_LOG("unload: %s", strerror(-ret));
	self->loaded = false;
	TH_LOG("unloaded in %lld ms", unload_ms);
	EXPECT_FALSE(cp_module_present(CP_MODULE));
}

TEST_F_TIMEOUT(unload, killed_ioctl_distinct, 120)
{
	unload_case(_metadata, self, VIA_IOCTL, false, END_KILL);
}

TEST_F_TIMEOUT(unload, killed_ioctl_same_key, 120)
{
	unload_case(_metadata, self, VIA_IOCTL, true, END_KILL);
}

TEST_F_TIMEOUT(unload, exited_ioctl_distinct, 120)
{
	unload_case(_metadata, self, VIA_IOCTL, false, END_EXIT);
}

TEST_F_TIMEOUT(unload, killed_proc_distinct, 120)
{
	unload_case(_metadata, self, VIA_PROC, false, END_KILL);
}

/*
 * One waiter per child, killed ONE_BY_ONE times in a row: each must be
 * reaped within CP_REAP_MAX_MS of its SIGKILL, while the 60 s loads go
 * on. A wait that looked at its signals only once a second would pass
 * one kill in CP_REAP_MAX_MS / 1000 of the cases at best, and all of them
 * almost never.
 */
TEST_F_TIMEOUT(unload, killed_one_by_one, 120)
{
	unsigned long long misses0, misses, inflight0, inflight;
	long long end, start, reap_ms, max_ms = 0, unload_ms;
	char extra[64], figures[256] = "";
	const char *step;
	bool waiting;
	int i, ret, status;
	size_t used = 0;
	pid_t pid;

	snprintf(extra, sizeof(extra), "slow_load_ms=%d loader_max_active=128",
		 ONE_SLOW_MS);
	self->loaded = false;
	ret = cp_reload(variant->strategy, extra, &step);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", step, strerror(-ret));
	self->loaded = true;

	for (i = 0; i < ONE_BY_ONE; i++) {
		ASSERT_EQ(0, proc_stats(&misses0, &inflight0));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			char key[32], val[CACHEPROXY_VALUE_MAX + 1];
			size_t len;
			int dev = open(CP_DEV, O_RDWR | O_CLOEXEC);

			if (dev < 0)
				_exit(2);
			snprintf(key, sizeof(key), "slow-one-%d", i);
			cp_dev_get(dev, key, strlen(key), val, sizeof(val),
				   &len);
			_exit(3);
		}
		waiting = false;
		end = cp_now_ms() + ONE_SLOW_MS / 6;
		while (!waiting && cp_now_ms() < end) {
			ASSERT_EQ(0, proc_stats(&misses, &inflight));
			waiting = misses > misses0 && inflight > inflight0;
			if (!waiting)
				usleep(1000);
		}
		start = cp_now_ms();
		ASSERT_EQ(0, kill(pid, SIGKILL));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		reap_ms = cp_now_ms() - start;
		ASSERT_TRUE(waiting)
			TH_LOG("child %d never waited on a load", i);
		EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			TH_LOG("child %d status %#x", i, status);
		EXPECT_GT(CP_REAP_MAX_MS, reap_ms)
			TH_LOG("child %d: SIGKILL to reaped %lld ms", i,
			       reap_ms);
		if (reap_ms > max_ms)
			max_ms = reap_ms;
		if (used < sizeof(figures))
			used += snprintf(figures + used, sizeof(figures) - used,
					 " %lld", reap_ms);
	}
	ASSERT_EQ(0, proc_stats(&misses, &inflight));
	TH_LOG("SIGKILL to reaped (ms):%s; max %lld; %llu loads in flight",
	       figures, max_ms, inflight);
	/* Every load of a killed waiter is still running. */
	EXPECT_LE((unsigned long long)ONE_BY_ONE, inflight);

	/* Unloading ends the 60 s loads at once. */
	start = cp_now_ms();
	ret = cp_unload(CP_MODULE, ONE_SLOW_MS / 6);
	unload_ms = cp_now_ms() - start;
	ASSERT_EQ(0, ret) TH_LOG("unload: %s", strerror(-ret));
	self->loaded = false;
	TH_LOG("unloaded in %lld ms", unload_ms);
}

TEST_HARNESS_MAIN

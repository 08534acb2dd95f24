// SPDX-License-Identifier: GPL-2.0
/*
 * Host test of cacheproxy-loaderd, no module needed: the test plays the
 * kernel through the daemon's hidden --fake-channel (a SOCK_SEQPACKET
 * socket: one message per read or write of a channel), sends load requests
 * as the module formats them and checks every answer, the status file,
 * the exit codes and the stop on SIGTERM. Backends: static, SQLite (the
 * databases are made here), and redis when redis-server is on PATH (a
 * private server on a unix socket and a loopback port; else those checks
 * are skipped).
 *
 * Usage: loaderd-test [DAEMON]  (default: cacheproxy-loaderd beside it)
 * Output: one line per check, "ok N - ..." or "not ok N - ...", then
 * "N passed, N failed". Exit status: 0 all passed, 1 a check failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include <linux/cacheproxy.h>

#define MAX_CH		4
#define ALIGN8(x)	(((x) + 7) & ~(size_t)7)

static const char *daemon_path;
static char dir[64];
static int passed, failed_checks, skipped;

__attribute__((format(printf, 2, 3)))
static bool check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", ok ? "ok" : "not ok", passed + failed_checks + 1);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (ok)
		passed++;
	else
		failed_checks++;
	return ok;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void msleep(int ms)
{
	usleep((useconds_t)ms * 1000);
}

/* The whole of a small file, NUL-terminated ("" when missing). */
static char *slurp(const char *path)
{
	static char buf[65536];
	int fd = open(path, O_RDONLY);
	ssize_t n = 0;

	buf[0] = '\0';
	if (fd < 0)
		return buf;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* A daemon under test and the fake kernel it talks to. */
struct fake {
	int lfd;
	char sock[108];
	int ch[MAX_CH];
	int nch;
	int ctl;
	pid_t pid;
	char status[128];
	char err[128];
	int exit_status;	/* -1 while it runs */
};

static int fake_count;

/*
 * Starts the daemon with @threads threads and @args (NULL-terminated:
 * options then BACKEND) and accepts its connections. Returns 0 once it
 * wrote its status file (all attached), or -1 when it exited (status in
 * f->exit_status).
 */
static int fake_start(struct fake *f, int threads, const char *const *args)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	const char *argv[32];
	char tbuf[16];
	long long end = now_ms() + 10000;
	int i, n = 0, st;

	memset(f, 0, sizeof(*f));
	f->ctl = -1;
	f->exit_status = -1;
	fake_count++;
	snprintf(f->sock, sizeof(f->sock), "%s/fake%d.sock", dir, fake_count);
	snprintf(f->status, sizeof(f->status), "%s/status%d", dir, fake_count);
	snprintf(f->err, sizeof(f->err), "%s/err%d", dir, fake_count);
	strcpy(un.sun_path, f->sock);
	f->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (f->lfd < 0 || bind(f->lfd, (struct sockaddr *)&un, sizeof(un)) ||
	    listen(f->lfd, 16)) {
		perror("fake socket");
		exit(1);
	}
	snprintf(tbuf, sizeof(tbuf), "%d", threads);
	argv[n++] = daemon_path;
	argv[n++] = "--fake-channel";
	argv[n++] = f->sock;
	argv[n++] = "--threads";
	argv[n++] = tbuf;
	argv[n++] = "--status";
	argv[n++] = f->status;
	for (i = 0; args[i]; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	f->pid = fork();
	if (!f->pid) {
		int fd = open(f->err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, STDERR_FILENO);
		execv(daemon_path, (char *const *)argv);
		_exit(127);
	}
	while (f->nch < threads || f->ctl < 0 || access(f->status, F_OK)) {
		struct pollfd p = { .fd = f->lfd, .events = POLLIN };
		char hello[16] = "";
		int fd;

		if (waitpid(f->pid, &st, WNOHANG) == f->pid) {
			f->exit_status = WIFEXITED(st) ? WEXITSTATUS(st) :
							 128 + WTERMSIG(st);
			return -1;
		}
		if (now_ms() > end) {
			fprintf(stderr, "the daemon did not attach in time\n");
			kill(f->pid, SIGKILL);
			exit(1);
		}
		if (poll(&p, 1, 20) <= 0)
			continue;
		fd = accept4(f->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0 || recv(fd, hello, sizeof(hello) - 1, 0) < 0) {
			perror("accept");
			exit(1);
		}
		if (!strcmp(hello, "control"))
			f->ctl = fd;
		else if (!strcmp(hello, "channel") && f->nch < MAX_CH)
			f->ch[f->nch++] = fd;
		else
			close(fd);
	}
	return 0;
}

/* Waits up to @ms for the daemon's exit; its status, or -1. */
static int fake_wait(struct fake *f, int ms)
{
	long long end = now_ms() + ms;
	int st;

	while (f->exit_status < 0) {
		if (waitpid(f->pid, &st, WNOHANG) == f->pid) {
			f->exit_status = WIFEXITED(st) ? WEXITSTATUS(st) :
							 128 + WTERMSIG(st);
			break;
		}
		if (now_ms() > end)
			return -1;
		msleep(5);
	}
	return f->exit_status;
}

static void fake_end(struct fake *f)
{
	const char *err;
	int i;

	if (f->exit_status < 0) {
		kill(f->pid, SIGKILL);
		fake_wait(f, 5000);
	}
	/* Where the daemon was built with a sanitizer: no report. */
	err = slurp(f->err);
	if (strstr(err, "Sanitizer") || strstr(err, "runtime error:")) {
		check(false, "a sanitizer report (daemon %d)", fake_count);
		printf("%s", err);
	}
	for (i = 0; i < f->nch; i++)
		close(f->ch[i]);
	if (f->ctl >= 0)
		close(f->ctl);
	close(f->lfd);
	unlink(f->sock);
}

/* One request to send. */
struct req {
	uint64_t id;
	const char *key;
	unsigned int extra;	/* header bytes beyond ours (a newer kernel) */
};

#define R(i, k)		{ .id = (i), .key = (k) }

/* Sends @n requests in one message (one read) to channel @c. */
static void send_reqs(struct fake *f, int c, const struct req *r, int n)
{
	static char buf[16384];
	size_t off = 0;
	int i;

	memset(buf, 0, sizeof(buf));
	for (i = 0; i < n; i++) {
		struct cacheproxy_load_request h = {
			.size = (__u32)(sizeof(h) + r[i].extra),
			.id = r[i].id,
			.key_len = (__u32)strlen(r[i].key),
		};

		memcpy(buf + off, &h, sizeof(h));
		memset(buf + off + sizeof(h), 0xee, r[i].extra);
		memcpy(buf + off + h.size, r[i].key, h.key_len);
		off += ALIGN8(h.size + h.key_len);
	}
	if (send(f->ch[c], buf, off, 0) != (ssize_t)off) {
		perror("send");
		exit(1);
	}
}

/* One answer as received. */
struct ans {
	uint64_t id;
	int status;
	size_t len;
	char val[CACHEPROXY_VALUE_MAX + 1];
};

/*
 * Receives one message of answers on channel @c within @ms: returns how
 * many it held (-1: none came, -2: malformed).
 */
static int recv_answers(struct fake *f, int c, struct ans *a, int max,
			int ms)
{
	static char buf[200000];
	struct pollfd p = { .fd = f->ch[c], .events = POLLIN };
	size_t off = 0;
	ssize_t len;
	int n = 0;

	if (poll(&p, 1, ms) <= 0)
		return -1;
	len = recv(f->ch[c], buf, sizeof(buf), MSG_DONTWAIT);
	if (len <= 0)
		return -1;
	while (off < (size_t)len) {
		struct cacheproxy_load_answer h;

		if ((size_t)len - off < sizeof(h) || n == max)
			return -2;
		memcpy(&h, buf + off, sizeof(h));
		if (h.size != sizeof(h) || h.flags ||
		    h.value_len > CACHEPROXY_VALUE_MAX ||
		    (h.status && h.value_len) ||
		    off + ALIGN8(h.size + h.value_len) > (size_t)len)
			return -2;
		a[n].id = h.id;
		a[n].status = h.status;
		a[n].len = h.value_len;
		memcpy(a[n].val, buf + off + h.size, h.value_len);
		a[n].val[h.value_len] = '\0';
		n++;
		off += ALIGN8(h.size + h.value_len);
	}
	return n;
}

/* Whether @a answers @id with @status and, for 0, the value @val/@len. */
static bool answer_is(const struct ans *a, uint64_t id, int status,
		      const char *val, size_t len)
{
	if (a->id != id || a->status != status)
		return false;
	if (status)
		return a->len == 0;
	return a->len == len && !memcmp(a->val, val, len);
}

/* A counter of the status file; -1 when missing. */
static long long status_get(const char *path, const char *name)
{
	char *s = slurp(path), *p = s;
	size_t len = strlen(name);

	while ((p = strstr(p, name))) {
		if ((p == s || p[-1] == '\n') && p[len] == ' ')
			return atoll(p + len + 1);
		p += len;
	}
	return -1;
}

/* Waits up to @ms for a control message; returns its length or -1. */
static ssize_t recv_control(struct fake *f, char *buf, size_t size, int ms)
{
	struct pollfd p = { .fd = f->ctl, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return -1;
	n = recv(f->ctl, buf, size - 1, MSG_DONTWAIT);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* Runs the daemon to its end: exit status; its stderr in @err. */
static int run(const char *const *args, char *err, size_t size)
{
	char path[128];
	const char *argv[16];
	pid_t pid;
	int i, st, fd;

	snprintf(path, sizeof(path), "%s/run.err", dir);
	argv[0] = daemon_path;
	for (i = 0; args[i]; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	pid = fork();
	if (!pid) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, STDERR_FILENO);
		fd = open("/dev/null", O_WRONLY);
		dup2(fd, STDOUT_FILENO);
		execv(daemon_path, (char *const *)argv);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	snprintf(err, size, "%s", slurp(path));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* @args must exit @want with one line "cacheproxy-loaderd: ...@part...". */
static void expect_exit(int want, const char *part, const char *const *args)
{
	char err[4096], what[256] = "";
	int got, i;

	for (i = 0; args[i]; i++) {
		strncat(what, " ", sizeof(what) - strlen(what) - 1);
		strncat(what, args[i], sizeof(what) - strlen(what) - 1);
	}
	got = run(args, err, sizeof(err));
	if (want == 0) {
		check(got == 0, "cli:%s: exit %d (want 0)", what, got);
		return;
	}
	if (!check(got == want && lines(err) == 1 &&
		   !strncmp(err, "cacheproxy-loaderd: ", 20) &&
		   strstr(err, part),
		   "cli:%s: exit %d (want %d), one line with '%s'", what, got,
		   want, part))
		printf("#   stderr: %s", err);
}

static void test_cli(void)
{
	char db[128], nodb[128], sqlarg[140], noarg[140];
	sqlite3 *s;

#define A(...) ((const char *const[]){ __VA_ARGS__, NULL })
	expect_exit(0, "", A("--help"));
	expect_exit(2, "no BACKEND", A("--threads", "2"));
	expect_exit(2, "unknown BACKEND", A("mysql:x"));
	expect_exit(2, "unknown option", A("--bogus", "static:"));
	expect_exit(2, "needs a value", A("static:", "--threads"));
	expect_exit(2, "out of range", A("--threads", "0", "static:"));
	expect_exit(2, "not a number", A("--delay-us", "1x", "static:"));
	expect_exit(2, "one too many", A("static:", "static:"));
	expect_exit(2, "has no '=VALUE'", A("static:a=1,b"));
	expect_exit(2, "unknown escape", A("static:a=\\q"));
	expect_exit(2, "two hex digits", A("static:a=\\x4"));
	expect_exit(2, "comes twice", A("static:a=1,a=2"));
	expect_exit(2, "empty KEY", A("static:=1"));
	expect_exit(2, "needs a PATH", A("sqlite:"));
	expect_exit(2, "not a numeric address", A("redis:example.org:6379"));
	expect_exit(2, "in brackets", A("redis:::1:6379"));
	expect_exit(2, "not a port", A("redis:127.0.0.1:99999"));
	expect_exit(2, "needs a redis BACKEND",
		    A("--invalidate-redis", "static:a=1"));
	expect_exit(1, "is the cacheproxy module loaded?",
		    A("--device", "/nonexistent/cacheproxy", "static:a=1"));

	snprintf(nodb, sizeof(nodb), "%s/missing.db", dir);
	snprintf(noarg, sizeof(noarg), "sqlite:%s", nodb);
	expect_exit(1, "unable to open database file", A(noarg));
	snprintf(db, sizeof(db), "%s/nokv.db", dir);
	snprintf(sqlarg, sizeof(sqlarg), "sqlite:%s", db);
	if (sqlite3_open(db, &s) != SQLITE_OK ||
	    sqlite3_exec(s, "CREATE TABLE other(x)", NULL, NULL, NULL)) {
		fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(s));
		exit(1);
	}
	sqlite3_close(s);
	expect_exit(1, "no such table: kv", A(sqlarg));
#undef A
}

/* The static backend: every kind of answer, a long header, a batch. */
static void test_static(void)
{
	char big[400], arg[600];
	const char *args[] = { arg, NULL };
	struct req r[] = {
		R(1, "a"), R(2, "nul"), R(3, "empty"), R(4, "big"),
		R(5, "missing"), R(6, "comma"),
		{ .id = 7, .key = "a", .extra = 8 },
		{ .id = 8, .key = "a", .extra = 4 },
	};
	struct ans a[16];
	struct fake f;
	long long t0;
	int n;

	memset(big, 'x', 300);
	big[300] = '\0';
	snprintf(arg, sizeof(arg),
		 "static:a=1,nul=a\\x00b\\nc,empty=,big=%s,comma=x\\,y\\=z",
		 big);
	if (fake_start(&f, 1, args)) {
		check(false, "static: the daemon starts (exit %d: %s)",
		      f.exit_status, slurp(f.err));
		return;
	}
	check(status_get(f.status, "requests") == 0 &&
	      status_get(f.status, "queries") == 0,
	      "static: a status file of zeros once attached");
	send_reqs(&f, 0, r, 8);
	n = recv_answers(&f, 0, a, 16, 5000);
	if (check(n == 8, "static: 8 requests in one read, 8 answers in one write (got %d)",
		  n)) {
		check(answer_is(&a[0], 1, 0, "1", 1), "static: a value");
		check(answer_is(&a[1], 2, 0, "a\0b\nc", 5),
		      "static: a value with NUL and newline");
		check(answer_is(&a[2], 3, 0, "", 0), "static: an empty value");
		check(answer_is(&a[3], 4, -EFBIG, NULL, 0),
		      "static: a value of 300 bytes: EFBIG");
		check(answer_is(&a[4], 5, -ENOENT, NULL, 0),
		      "static: a missing key: ENOENT");
		check(answer_is(&a[5], 6, 0, "x,y=z", 5),
		      "static: escaped comma and equals sign");
		check(answer_is(&a[6], 7, 0, "1", 1),
		      "static: a longer header (a newer kernel) is skipped");
		check(answer_is(&a[7], 8, 0, "1", 1),
		      "static: a header of unaligned size");
	}
	/* The answers are counted once the write returned: maybe later. */
	t0 = now_ms();
	do {
		kill(f.pid, SIGUSR1);
		msleep(20);
	} while (status_get(f.status, "answers") != 8 &&
		 now_ms() - t0 < 5000);
	if (!check(status_get(f.status, "requests") == 8 &&
		   status_get(f.status, "answers") == 8 &&
		   status_get(f.status, "values") == 6 &&
		   status_get(f.status, "enoent") == 1 &&
		   status_get(f.status, "errors") == 1 &&
		   status_get(f.status, "refused") == 0 &&
		   status_get(f.status, "queries") == 8,
		   "static: SIGUSR1 writes the counters"))
		printf("#   %s", slurp(f.status));
	check(strstr(slurp(f.err), "get big: a value of 300 bytes") != NULL,
	      "static: EFBIG is logged");

	/* Malformed records: logged, skipped, the daemon goes on. */
	{
		struct cacheproxy_load_request h = {
			.size = sizeof(h), .id = 50, .key_len = 0,
		};
		char junk[7] = "abcdef";

		send(f.ch[0], &h, sizeof(h), 0);
		send(f.ch[0], junk, sizeof(junk), 0);
		h.key_len = 200;	/* longer than the message */
		send(f.ch[0], &h, sizeof(h), 0);
		r[0].id = 51;
		send_reqs(&f, 0, r, 1);
		n = recv_answers(&f, 0, a, 16, 5000);
		check(n == 1 && answer_is(&a[0], 51, 0, "1", 1),
		      "static: malformed requests skipped, the next answered");
		check(strstr(slurp(f.err), "malformed request") &&
		      strstr(slurp(f.err), "a request cut short"),
		      "static: malformed requests are logged");
	}
	kill(f.pid, SIGTERM);
	check(fake_wait(&f, 5000) == 0, "static: SIGTERM: exit 0");
	check(status_get(f.status, "requests") == 9 &&
	      status_get(f.status, "answers") == 9,
	      "static: the counters are written at exit");
	fake_end(&f);
}

/* Makes the SQLite database of the tests. */
static void make_db(const char *path)
{
	static const char sql[] =
		"CREATE TABLE kv(key TEXT PRIMARY KEY, value BLOB);"
		"INSERT INTO kv VALUES('k1', 'v1');"
		"INSERT INTO kv VALUES('bin', x'000aff');"
		"INSERT INTO kv VALUES('nullv', NULL);"
		"INSERT INTO kv VALUES('int', 42);"
		"INSERT INTO kv VALUES('big', zeroblob(277));"
		"INSERT INTO kv VALUES('max', zeroblob(276));";
	char *msg = NULL;
	sqlite3 *s;

	unlink(path);
	if (sqlite3_open(path, &s) != SQLITE_OK ||
	    sqlite3_exec(s, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "sqlite: %s\n", msg ? msg : sqlite3_errmsg(s));
		exit(1);
	}
	sqlite3_close(s);
}

static void test_sqlite(void)
{
	char db[128], arg[140], zeros[CACHEPROXY_VALUE_MAX] = { 0 };
	const char *args[] = { "--delay-us", "100000", "--timeout-ms", "200",
			       arg, NULL };
	struct req r[] = {
		R(1, "k1"), R(2, "bin"), R(3, "nullv"), R(4, "int"),
		R(5, "big"), R(6, "max"), R(7, "none"),
	};
	struct ans a[16], b[16];
	long long t0, t;
	struct fake f;
	sqlite3 *lock;
	int n, m;

	snprintf(db, sizeof(db), "%s/test.db", dir);
	snprintf(arg, sizeof(arg), "sqlite:%s", db);
	make_db(db);
	if (fake_start(&f, 2, args)) {
		check(false, "sqlite: the daemon starts (exit %d: %s)",
		      f.exit_status, slurp(f.err));
		return;
	}
	send_reqs(&f, 0, r, 7);
	n = recv_answers(&f, 0, a, 16, 5000);
	if (check(n == 7, "sqlite: 7 answers in one write (got %d)", n)) {
		check(answer_is(&a[0], 1, 0, "v1", 2), "sqlite: a TEXT value");
		check(answer_is(&a[1], 2, 0, "\0\n\xff", 3),
		      "sqlite: a BLOB with NUL and newline");
		check(answer_is(&a[2], 3, -ENOENT, NULL, 0),
		      "sqlite: a NULL value: ENOENT");
		check(answer_is(&a[3], 4, 0, "42", 2),
		      "sqlite: an INTEGER as its text");
		check(answer_is(&a[4], 5, -EFBIG, NULL, 0),
		      "sqlite: 277 bytes: EFBIG");
		check(answer_is(&a[5], 6, 0, zeros, CACHEPROXY_VALUE_MAX),
		      "sqlite: 276 bytes: the value");
		check(answer_is(&a[6], 7, -ENOENT, NULL, 0),
		      "sqlite: no row: ENOENT");
	}

	/* --delay-us: one "database" for both threads, one query at once. */
	t0 = now_ms();
	send_reqs(&f, 0, r, 1);
	send_reqs(&f, 1, r, 1);
	n = recv_answers(&f, 0, a, 16, 5000);
	m = recv_answers(&f, 1, b, 16, 5000);
	t = now_ms() - t0;
	check(n == 1 && m == 1 && answer_is(&a[0], 1, 0, "v1", 2) &&
	      answer_is(&b[0], 1, 0, "v1", 2),
	      "sqlite: each thread answers its own channel");
	check(t >= 195, "sqlite: --delay-us 100000 serialises two threads (%lld ms)",
	      t);

	/* A write lock held past --timeout-ms: EIO, logged. */
	if (sqlite3_open(db, &lock) != SQLITE_OK ||
	    sqlite3_exec(lock, "BEGIN EXCLUSIVE; UPDATE kv SET value = 'v2' WHERE key = 'k1';",
			 NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "sqlite lock: %s\n", sqlite3_errmsg(lock));
		exit(1);
	}
	send_reqs(&f, 1, r, 1);
	n = recv_answers(&f, 1, a, 16, 5000);
	check(n == 1 && answer_is(&a[0], 1, -EIO, NULL, 0),
	      "sqlite: a locked database: EIO");
	check(strstr(slurp(f.err), "get k1: sqlite: database is locked: answered EIO") != NULL,
	      "sqlite: the failure is logged in one line");
	sqlite3_exec(lock, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(lock);
	send_reqs(&f, 1, r, 1);
	n = recv_answers(&f, 1, a, 16, 5000);
	check(n == 1 && answer_is(&a[0], 1, 0, "v2", 2),
	      "sqlite: the lock gone, the new value");

	/* SIGTERM while a read is being served: all of it is answered. */
	send_reqs(&f, 0, r, 4);
	msleep(50);
	t0 = now_ms();
	kill(f.pid, SIGTERM);
	n = recv_answers(&f, 0, a, 16, 5000);
	check(n == 4, "sqlite: SIGTERM during a read: its 4 requests answered (got %d)",
	      n);
	check(fake_wait(&f, 5000) == 0 && now_ms() - t0 >= 250,
	      "sqlite: then exit 0");
	fake_end(&f);
}

/* --count, a status file that cannot be written, a vanished kernel. */
static void test_misc(void)
{
	const char *count[] = { "--count", "3", "static:a=1", NULL };
	const char *bad[] = { "--status", "/nonexistent/dir/status",
			      "static:a=1", NULL };
	struct req r[] = { R(1, "a"), R(2, "b") };
	struct ans a[4];
	struct fake f;

	if (!fake_start(&f, 1, count)) {
		send_reqs(&f, 0, r, 2);
		check(recv_answers(&f, 0, a, 4, 5000) == 2 &&
		      fake_wait(&f, 300) < 0,
		      "--count 3: still serving after 2 requests");
		send_reqs(&f, 0, r, 2);
		check(recv_answers(&f, 0, a, 4, 5000) == 2 &&
		      fake_wait(&f, 5000) == 0,
		      "--count 3: exit 0 after 4 (the read that passed 3 answered whole)");
		fake_end(&f);
	}

	/* fake_start() adds its own --status: the last one counts. */
	check(fake_start(&f, 1, bad) < 0 && f.exit_status == 1 &&
	      strstr(slurp(f.err), "/nonexistent/dir/status.tmp"),
	      "--status in a missing directory: exit 1, named");
	fake_end(&f);

	/* SIGTERM at once, 20 times: 4 workers asleep in read all wake. */
	{
		int i, ok = 0;

		for (i = 0; i < 20; i++) {
			if (fake_start(&f, 4, count + 2))
				break;
			kill(f.pid, SIGTERM);
			ok += fake_wait(&f, 3000) == 0;
			fake_end(&f);
		}
		check(ok == 20, "SIGTERM right after the attach: exit 0 (%d of 20)",
		      ok);
	}

	if (!fake_start(&f, 2, count + 2)) {
		close(f.ch[1]);
		f.nch = 1;
		check(fake_wait(&f, 5000) == 1 &&
		      strstr(slurp(f.err), "channel: read: the channel was closed"),
		      "a channel that fails: the daemon stops, exit 1");
		fake_end(&f);
	}
}

/* Redis. */

static char redis_sock[128];
static char redis_conf_port[16];
static pid_t redis_pid = -1;

static int redis_connect(void)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(un.sun_path, redis_sock);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&un, sizeof(un))) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * One command (binary-safe arguments, @lens[i] 0: strlen); the reply's
 * first @nlines lines into @reply. Returns 0 or -1.
 */
static int redis_cmd(int argc, const char *const *argv, const size_t *lens,
		     int nlines, char *reply, size_t size)
{
	char buf[4096];
	size_t len, off = 0;
	int fd = redis_connect(), i, seen = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	len = (size_t)snprintf(buf, sizeof(buf), "*%d\r\n", argc);
	for (i = 0; i < argc; i++) {
		size_t l = lens && lens[i] ? lens[i] : strlen(argv[i]);

		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					"$%zu\r\n", l);
		memcpy(buf + len, argv[i], l);
		len += l;
		memcpy(buf + len, "\r\n", 2);
		len += 2;
	}
	if (write(fd, buf, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	while (seen < nlines && off < size - 1) {
		n = read(fd, reply + off, size - 1 - off);
		if (n <= 0)
			break;
		for (i = 0; i < n; i++)
			seen += reply[off + i] == '\n';
		off += (size_t)n;
	}
	reply[off] = '\0';
	close(fd);
	return seen >= nlines ? 0 : -1;
}

static bool redis_set(const char *key, const char *val, size_t len)
{
	const char *argv[] = { "SET", key, val };
	const size_t lens[] = { 0, 0, len };
	char reply[64];

	return !redis_cmd(3, argv, lens, 1, reply, sizeof(reply)) &&
	       !strcmp(reply, "+OK\r\n");
}

static int free_port(void)
{
	struct sockaddr_in in = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(in);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	bind(fd, (struct sockaddr *)&in, sizeof(in));
	getsockname(fd, (struct sockaddr *)&in, &len);
	port = ntohs(in.sin_port);
	close(fd);
	return port;
}

static bool redis_start(void)
{
	char log[128], reply[64];
	const char *ping[] = { "PING" };
	long long end = now_ms() + 10000;

	snprintf(log, sizeof(log), "%s/redis.log", dir);
	redis_pid = fork();
	if (!redis_pid) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execlp("redis-server", "redis-server", "--port",
		       redis_conf_port, "--bind", "127.0.0.1", "--unixsocket",
		       redis_sock, "--save", "", "--appendonly", "no",
		       "--daemonize", "no", "--dir", dir, (char *)NULL);
		_exit(127);
	}
	while (now_ms() < end) {
		if (!redis_cmd(1, ping, NULL, 1, reply, sizeof(reply)))
			return true;
		if (waitpid(redis_pid, NULL, WNOHANG) == redis_pid)
			break;
		msleep(20);
	}
	fprintf(stderr, "redis-server did not start: %s\n", slurp(log));
	return false;
}

static void redis_stop(void)
{
	if (redis_pid > 0) {
		kill(redis_pid, SIGTERM);
		waitpid(redis_pid, NULL, 0);
	}
	redis_pid = -1;
}

static bool redis_fill(void)
{
	static char big[300], max[CACHEPROXY_VALUE_MAX];
	const char *hset[] = { "HSET", "h", "f", "v" };
	char reply[64];

	memset(big, 'b', sizeof(big));
	memset(max, 'm', sizeof(max));
	return redis_set("k1", "v1", 2) && redis_set("bin", "\0\n\xff", 3) &&
	       redis_set("big", big, sizeof(big)) &&
	       redis_set("max", max, sizeof(max)) &&
	       !redis_cmd(4, hset, NULL, 1, reply, sizeof(reply));
}

/* Waits for the control message @want (others are skipped). */
static bool expect_control(struct fake *f, const char *want, int ms)
{
	long long end = now_ms() + ms;
	char buf[512];

	while (now_ms() < end) {
		if (recv_control(f, buf, sizeof(buf),
				 (int)(end - now_ms())) < 0)
			return false;
		if (!strcmp(buf, want))
			return true;
	}
	return false;
}

static void test_redis(void)
{
	static char max[CACHEPROXY_VALUE_MAX];
	char arg[160], tcp[64], reply[256];
	const char *args[] = { "--invalidate-redis", "--timeout-ms", "500",
			       arg, NULL };
	const char *targs[] = { tcp, NULL };
	const char *cfg[] = { "CONFIG", "GET", "notify-keyspace-events" };
	const char *del[] = { "DEL", "bin" };
	struct req r[] = {
		R(1, "k1"), R(2, "bin"), R(3, "big"), R(4, "none"),
		R(5, "h"), R(6, "max"),
	};
	struct ans a[16];
	struct fake f, t;
	char *flags;
	int n;

	if (system("command -v redis-server >/dev/null 2>&1")) {
		printf("# redis-server not found: the redis checks are skipped\n");
		skipped++;
		return;
	}
	snprintf(redis_sock, sizeof(redis_sock), "%s/redis.sock", dir);
	snprintf(redis_conf_port, sizeof(redis_conf_port), "%d", free_port());
	snprintf(arg, sizeof(arg), "redis:unix:%s", redis_sock);
	snprintf(tcp, sizeof(tcp), "redis:127.0.0.1:%s", redis_conf_port);
	memset(max, 'm', sizeof(max));
	if (!check(redis_start() && redis_fill(), "redis: a server to test on"))
		return;
	if (fake_start(&f, 2, args)) {
		check(false, "redis: the daemon starts (exit %d: %s)",
		      f.exit_status, slurp(f.err));
		redis_stop();
		return;
	}
	flags = NULL;
	if (!redis_cmd(3, cfg, NULL, 5, reply, sizeof(reply))) {
		/* *2, $22, notify-keyspace-events, $N, the flags */
		flags = strstr(reply, "notify-keyspace-events\r\n$");
		flags = flags ? strstr(flags + 24, "\r\n") : NULL;
		if (flags)
			flags += 2;
	}
	check(flags && strchr(flags, 'K') && strchr(flags, '$') &&
	      strchr(flags, 'g') && strchr(flags, 'x') && strchr(flags, 'e'),
	      "redis: --invalidate-redis turned keyspace notifications on (%s)",
	      flags ? strtok(flags, "\r") : "no reply");
	send_reqs(&f, 0, r, 6);
	n = recv_answers(&f, 0, a, 16, 5000);
	if (check(n == 6, "redis: 6 answers in one write (got %d)", n)) {
		check(answer_is(&a[0], 1, 0, "v1", 2), "redis: a value");
		check(answer_is(&a[1], 2, 0, "\0\n\xff", 3),
		      "redis: a value with NUL and newline");
		check(answer_is(&a[2], 3, -EFBIG, NULL, 0),
		      "redis: 300 bytes: EFBIG");
		check(answer_is(&a[3], 4, -ENOENT, NULL, 0),
		      "redis: nil: ENOENT");
		check(answer_is(&a[4], 5, -EIO, NULL, 0),
		      "redis: a hash (WRONGTYPE): EIO");
		check(answer_is(&a[5], 6, 0, max, sizeof(max)),
		      "redis: 276 bytes: the value");
	}
	check(strstr(slurp(f.err), "get h: redis: GET: WRONGTYPE") != NULL,
	      "redis: the error reply is logged");
	send_reqs(&f, 1, r, 1);
	n = recv_answers(&f, 1, a, 16, 5000);
	check(n == 1 && answer_is(&a[0], 1, 0, "v1", 2),
	      "redis: the second thread's connection");

	/* Keyspace notifications become invalidations. */
	check(redis_set("k1", "v2", 2) &&
	      expect_control(&f, "invalidate k1", 3000),
	      "redis: SET k1: k1 invalidated");
	check(!redis_cmd(2, del, NULL, 1, reply, sizeof(reply)) &&
	      expect_control(&f, "invalidate bin", 3000),
	      "redis: DEL bin: bin invalidated");

	/* Over TCP. */
	if (!fake_start(&t, 1, targs)) {
		send_reqs(&t, 0, r, 1);
		n = recv_answers(&t, 0, a, 16, 5000);
		check(n == 1 && answer_is(&a[0], 1, 0, "v2", 2),
		      "redis: over TCP (127.0.0.1)");
		kill(t.pid, SIGTERM);
		check(fake_wait(&t, 5000) == 0, "redis: TCP daemon: exit 0");
		fake_end(&t);
	}

	/* The server goes away: EIO; it comes back: served, cache flushed. */
	redis_stop();
	send_reqs(&f, 0, r, 1);
	n = recv_answers(&f, 0, a, 16, 5000);
	check(n == 1 && answer_is(&a[0], 1, -EIO, NULL, 0),
	      "redis: server down: EIO");
	check(strstr(slurp(f.err), "get k1: redis: connect: ") != NULL,
	      "redis: server down: logged");
	if (!check(redis_start() && redis_fill(), "redis: server back"))
		goto out;
	check(expect_control(&f, "flush", 5000),
	      "redis: the watcher subscribes again and flushes the cache");
	send_reqs(&f, 0, r, 1);
	n = recv_answers(&f, 0, a, 16, 5000);
	check(n == 1 && answer_is(&a[0], 1, 0, "v1", 2),
	      "redis: server back: served on a new connection");
	check(redis_set("k1", "v3", 2) &&
	      expect_control(&f, "invalidate k1", 3000),
	      "redis: notifications after the reconnection");
out:
	kill(f.pid, SIGTERM);
	check(fake_wait(&f, 5000) == 0, "redis: SIGTERM: exit 0");
	fake_end(&f);
	redis_stop();
}

static void cleanup(void)
{
	char cmd[128];

	redis_stop();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", dir);
}

int main(int argc, char **argv)
{
	static char path[4096];
	char *slash;

	if (argc > 1) {
		daemon_path = argv[1];
	} else {
		snprintf(path, sizeof(path), "%s", argv[0]);
		slash = strrchr(path, '/');
		snprintf(slash ? slash + 1 : path,
			 sizeof(path) - (size_t)(slash ? slash + 1 - path : 0),
			 "cacheproxy-loaderd");
		daemon_path = path;
	}
	if (access(daemon_path, X_OK)) {
		fprintf(stderr, "loaderd-test: %s: %s\n", daemon_path,
			strerror(errno));
		return 1;
	}
	strcpy(dir, "/tmp/loaderd-test.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	alarm(300);	/* a hang fails the test instead of blocking it */
	test_cli();
	test_static();
	test_sqlite();
	test_misc();
	test_redis();
	cleanup();
	printf("%d passed, %d failed\n", passed, failed_checks);
	return failed_checks ? 1 : 0;
}

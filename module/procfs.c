// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/cacheproxy, over the module's cache:
 *
 * lookup (0600)	write a key (one trailing newline is stripped): the
 *			write performs the lookup and returns the byte count
 *			or the lookup's errno; a read on the same open file
 *			then returns "VALUE\n". Each open file remembers the
 *			value of its last successful write (and a successful
 *			write rewinds the file to read it from the start); a
 *			read before any successful write returns 0 bytes.
 *			The value is returned as it is, NUL and newline bytes
 *			included, so only its last newline is known to be
 *			the terminator (the ioctl tells a value's length).
 *			Shell: exec 3<>lookup; echo KEY >&3; cat <&3
 *			An open for writing holds a CACHEPROXY_VALUE_MAX
 *			buffer (charged to the opener's memory cgroup), so
 *			the open may fail with ENOMEM (not a lookup: no
 *			counter moves). One open file may be shared (threads,
 *			fork, dup): a write that waits for a load does not
 *			hold up reads, seeks or other lookups on it.
 * stats (0444)		"NAME VALUE" lines: "strategy NAME", "dedup 1" where
 *			the strategy shares one load among concurrent misses
 *			of a key ("dedup 0" where each miss loads),
 *			"lat_sample N" (the histogram times about one lookup
 *			in N per CPU), then one line per counter named as the
 *			field of struct cacheproxy_stats, then one line per
 *			histogram bucket, "lat_ns_log2_I N".
 * entries (0400)	one line per cached entry: "KEY STATE AGE_MS VALUE_LEN",
 *			STATE one of value, enoent, expired; control bytes,
 *			space, DEL and backslash in KEY as \ooo (octal). A
 *			seq_file iterator: each step prints a few buckets
 *			under the table's lock, so a large table never holds
 *			the lock for long (entries changing meanwhile may be
 *			missed or shown twice).
 * control (0200)	"flush", "invalidate KEY" or "reset-stats", one
 *			trailing newline allowed; anything else is -EINVAL.
 *
 * The files are removed (proc_remove() waits for running handlers) after
 * the cache was shut down, so that no handler still waits for a load, and
 * before the cache is destroyed.
 */
#include <linux/cacheproxy.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "cache.h"
#include "counters.h"
#include "entry.h"
#include "procfs.h"

/* Set once at init, before the files exist; the cache outlives them. */
static struct cacheproxy_cache *procfs_cache;
static struct proc_dir_entry *procfs_dir;

/**
 * struct lookup_file - state of one open /proc/cacheproxy/lookup
 * @lock:	serialises writers and readers of this open file; never held
 *		while a lookup waits for a load (a frozen waiter holds no lock)
 * @has_val:	a write has succeeded: @val holds its value
 * @len:	length of the value in @val
 * @pos:	where the next read() starts: 0 after each successful write,
 *		advanced by read() (pread() reads at its own offset)
 * @val:	CACHEPROXY_VALUE_MAX bytes allocated at an open for writing
 *		(charged to the opener's memory cgroup), so that a write whose
 *		lookup succeeded cannot fail for want of memory afterwards;
 *		reads return the value followed by a newline. NULL for an
 *		open for reading only, which never holds a value.
 *
 * The VFS serialises read, write and lseek of a shared regular file with
 * the file's position lock (FMODE_ATOMIC_POS), taken uninterruptibly and
 * held across the call: a write waiting for a load of up to
 * slow_load_ms or upcall_timeout_ms (600 s at most) would hold every other
 * user of the file in D state for that long. lookup_open() drops the mode
 * and makes the file a stream for read() and write() (FMODE_STREAM: the
 * VFS keeps no position for them and passes none), so that @lock alone,
 * never held across a wait, orders the users of the file: @pos is reset
 * with the value it belongs to, and a read() sees a value and its own
 * position together. (With the VFS's f_pos instead, written back after
 * the handler returned and no longer under any lock, a read() could start
 * at the end of the old value inside a new one and return its tail.)
 * pread() and pwrite() keep working, at their offsets; lseek() succeeds
 * and changes nothing, as before.
 */
struct lookup_file {
	struct mutex lock; /* serialises users of this open file */
	bool has_val;
	size_t len;
	loff_t pos;
	char *val;
};

static int lookup_open(struct inode *inode, struct file *file)
{
	struct lookup_file *lf;

	lf = kzalloc(sizeof(*lf), GFP_KERNEL_ACCOUNT);
	if (!lf)
		return -ENOMEM;
	if (file->f_mode & FMODE_WRITE) {
		lf->val = kmalloc(CACHEPROXY_VALUE_MAX, GFP_KERNEL_ACCOUNT);
		if (!lf->val) {
			kfree(lf);
			return -ENOMEM;
		}
	}
	mutex_init(&lf->lock);
	file->private_data = lf;
	/* See struct lookup_file: no position lock across a lookup's wait. */
	file->f_mode &= ~FMODE_ATOMIC_POS;
	file->f_mode |= FMODE_STREAM;
	return 0;
}

static int lookup_release(struct inode *inode, struct file *file)
{
	struct lookup_file *lf = file->private_data;

	mutex_destroy(&lf->lock);
	kfree(lf->val);
	kfree(lf);
	return 0;
}

static ssize_t lookup_write(struct file *file, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	struct lookup_file *lf = file->private_data;
	char key[CACHEPROXY_KEY_MAX + 1];
	struct cacheproxy_value v = { .by_ref = true };
	size_t len = count;
	int ret;

	/* Too long even with a newline stripped. */
	if (len > sizeof(key))
		return -ENAMETOOLONG;
	if (copy_from_user(key, ubuf, len))
		return -EFAULT;
	if (len && key[len - 1] == '\n')
		len--;

	/*
	 * No buffer: the value comes by reference and is copied once, into
	 * the buffer allocated at open, so that nothing after the lookup can
	 * fail but a fatal signal. The lock is not held while the lookup
	 * waits for a load.
	 */
	ret = cacheproxy_lookup_value(procfs_cache, key, len, &v);
	if (ret)
		return ret;
	if (mutex_lock_killable(&lf->lock)) {
		cacheproxy_value_release(&v);
		return -EINTR;
	}
	/* entry.c refuses a value longer than CACHEPROXY_VALUE_MAX. */
	if (WARN_ON_ONCE(v.len > CACHEPROXY_VALUE_MAX)) {
		mutex_unlock(&lf->lock);
		cacheproxy_value_release(&v);
		return -EIO;
	}
	if (v.len)
		memcpy(lf->val, cacheproxy_value_data(&v), v.len);
	lf->len = v.len;
	lf->has_val = true;
	/* The next read() returns this value from its start. */
	lf->pos = 0;
	mutex_unlock(&lf->lock);
	cacheproxy_value_release(&v);
	return count;
}

static ssize_t lookup_read(struct file *file, char __user *ubuf, size_t count,
			   loff_t *ppos)
{
	struct lookup_file *lf = file->private_data;
	loff_t *pos;
	ssize_t ret;

	if (mutex_lock_killable(&lf->lock))
		return -EINTR;
	/* read() has no VFS position (a stream): it reads at lf->pos. */
	pos = ppos ?: &lf->pos;
	ret = 0;
	if (lf->has_val)
		ret = simple_read_from_buffer(ubuf, count, pos, lf->val,
					      lf->len);
	/* The newline after the value, at offset len. */
	if (lf->has_val && ret >= 0 && (size_t)ret < count &&
	    *pos == lf->len) {
		if (put_user('\n', ubuf + ret)) {
			ret = ret ?: -EFAULT;
		} else {
			ret++;
			(*pos)++;
		}
	}
	mutex_unlock(&lf->lock);
	return ret;
}

static const struct proc_ops lookup_ops = {
	.proc_open = lookup_open,
	.proc_release = lookup_release,
	.proc_read = lookup_read,
	.proc_write = lookup_write,
	.proc_lseek = noop_llseek,
};

static int stats_show(struct seq_file *m, void *v)
{
	struct cacheproxy_stats st;
	unsigned int i;

	cacheproxy_stats_read(procfs_cache, &st);
	seq_printf(m, "strategy %s\n", st.strategy);
	seq_printf(m, "dedup %d\n", cacheproxy_cache_dedup(procfs_cache));
	seq_printf(m, "lat_sample %u\n", st.lat_sample);
	for (i = 0; i < CACHEPROXY_NR_COUNTER_FIELDS; i++) {
		const struct cacheproxy_counter_field *f =
			&cacheproxy_counter_fields[i];

		seq_printf(m, "%s %llu\n", f->name,
			   cacheproxy_counter_field_value(&st, f));
	}
	for (i = 0; i < CACHEPROXY_LAT_BUCKETS; i++)
		seq_printf(m, "lat_ns_log2_%u %llu\n", i, st.lat_ns_log2[i]);
	return 0;
}

/* The iterator's position is a chunk of the table (table.c); v is pos + 1. */
static void *entries_start(struct seq_file *m, loff_t *pos)
{
	if (*pos < 0 || *pos >= cacheproxy_entries_chunks(procfs_cache))
		return NULL;
	return (void *)(uintptr_t)(*pos + 1);
}

static void *entries_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return entries_start(m, pos);
}

static void entries_stop(struct seq_file *m, void *v)
{
}

static int entries_show(struct seq_file *m, void *v)
{
	cacheproxy_show_entries(procfs_cache, m, (uintptr_t)v - 1);
	return 0;
}

static const struct seq_operations entries_seq_ops = {
	.start = entries_start,
	.next = entries_next,
	.stop = entries_stop,
	.show = entries_show,
};

#define CONTROL_INVALIDATE	"invalidate "
/* Longest command: "invalidate " + a key one byte too long + newline. */
#define CONTROL_MAX	(sizeof(CONTROL_INVALIDATE) - 1 + CACHEPROXY_KEY_MAX + 2)

static bool control_is(const char *buf, size_t len, const char *cmd)
{
	return len == strlen(cmd) && !memcmp(buf, cmd, len);
}

static ssize_t control_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	char buf[CONTROL_MAX];
	size_t len = count;
	int ret = 0;

	if (len > CONTROL_MAX)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	if (len && buf[len - 1] == '\n')
		len--;

	if (control_is(buf, len, "flush"))
		cacheproxy_flush(procfs_cache);
	else if (control_is(buf, len, "reset-stats"))
		cacheproxy_stats_reset(procfs_cache);
	else if (len > strlen(CONTROL_INVALIDATE) &&
		 !memcmp(buf, CONTROL_INVALIDATE, strlen(CONTROL_INVALIDATE)))
		ret = cacheproxy_invalidate(procfs_cache,
					    buf + strlen(CONTROL_INVALIDATE),
					    len - strlen(CONTROL_INVALIDATE));
	else
		ret = -EINVAL;
	return ret ? ret : count;
}

static const struct proc_ops control_ops = {
	.proc_write = control_write,
	.proc_lseek = noop_llseek,
};

int cacheproxy_procfs_init(struct cacheproxy_cache *cache)
{
	procfs_cache = cache;
	procfs_dir = proc_mkdir("cacheproxy", NULL);
	if (!procfs_dir)
		return -ENOMEM;
	/*
	 * lookup last: on a failure no lookup can be waiting for a load, so
	 * proc_remove() below waits for nothing long.
	 */
	if (!proc_create_single("stats", 0444, procfs_dir, stats_show) ||
	    !proc_create_seq("entries", 0400, procfs_dir, &entries_seq_ops) ||
	    !proc_create("control", 0200, procfs_dir, &control_ops) ||
	    !proc_create("lookup", 0600, procfs_dir, &lookup_ops)) {
		proc_remove(procfs_dir);
		return -ENOMEM;
	}
	return 0;
}

/* Removes the files; returns once no handler runs any more. */
void cacheproxy_procfs_uninit(void)
{
	proc_remove(procfs_dir);
}

/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * cacheproxy: an in-kernel key cache in front of a slow loader.
 *
 * User-space interface of /dev/cacheproxy. Every struct has the same layout
 * for 32-bit and 64-bit callers (fixed-width types, user pointers carried in
 * __u64, explicit padding), so 32-bit processes use it unchanged through
 * compat_ioctl. Reserved fields and flags must be zero (EINVAL otherwise).
 *
 * Errors common to every command: EFAULT for a bad user pointer, EINVAL for
 * non-zero reserved fields or flags, ENOTTY for an unknown command, EBADF
 * for FLUSH and INVALIDATE on a file not opened for writing.
 *
 * Growing the ABI: commands are dispatched on their type, number and
 * direction, not on the struct size encoded in them, so a program built
 * against an older version of a struct keeps working. A struct that grows
 * gains its fields at the end, and the caller tells the kernel how much of
 * the struct it knows in a size field (STATS's size, GET_BATCH's item_size) or through
 * the size encoded in the command (GET, GET_BATCH, INVALIDATE): a longer
 * struct must have zeros beyond what the kernel knows (E2BIG otherwise);
 * a struct shorter than the first version is not the command (ENOTTY).
 *
 * Lookups that wait for a load sleep interruptibly: a signal ends the wait
 * with EINTR, or restarts the call if the handler was installed with
 * SA_RESTART (the restarted lookup joins the load still in flight; the
 * spinlock strategy, which never shares loads, never restarts after a
 * handler ran). The freezers wake a waiter the same way: it freezes
 * outside the call, which restarts on thaw. The load goes on for the other
 * waiters. A lookup that would have to start a load while max_inflight
 * loads are alive fails with EAGAIN. (ESHUTDOWN, the answer to a lookup
 * waiting while the module unloads, reaches only /proc callers: an open
 * device pins the module.)
 */
#ifndef _UAPI_LINUX_CACHEPROXY_H
#define _UAPI_LINUX_CACHEPROXY_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Keys are 1..255 bytes with no NUL and no newline. */
#define CACHEPROXY_KEY_MAX	255
/*
 * Values are 0..CACHEPROXY_VALUE_MAX bytes of any kind (NUL and newline
 * included). The synthetic loader's values are "KEY:N", N a decimal u64:
 * at most 255 + 1 + 20 bytes. (Before daemons could answer loads this was
 * 276; a program built with that still works: a longer value fails its
 * GET with ENOSPC and the length it needs.)
 */
#define CACHEPROXY_VALUE_MAX	4096
/* GET_BATCH takes at most this many keys per call. */
#define CACHEPROXY_BATCH_MAX	256

/**
 * struct cacheproxy_get - one lookup (CACHEPROXY_IOC_GET)
 * @key:	in: user pointer to the key bytes (not NUL-terminated)
 * @value:	in: user pointer to a buffer for the value
 * @key_len:	in: length of the key, 1..CACHEPROXY_KEY_MAX
 * @value_size:	in: size of the @value buffer
 * @value_len:	out: length of the value; written even when @value_size is
 *		too small, in which case the ioctl fails with ENOSPC
 * @flags:	in: must be 0
 * @reserved:	must be 0
 *
 * Errors: the lookup's own errno (ENOENT, EIO from the loader; EINVAL for an
 * empty key or one with NUL or newline; ENAMETOOLONG for a long key; EINTR
 * when a signal came while waiting; EAGAIN when max_inflight loads are in
 * flight; ENOMEM; with loader=user also ENOTCONN when no daemon is
 * attached and ETIMEDOUT when none answered in time), or ENOSPC as above.
 */
struct cacheproxy_get {
	__u64 key;
	__u64 value;
	__u32 key_len;
	__u32 value_size;
	__u32 value_len;
	__u32 flags;
	__u64 reserved;
};

/**
 * struct cacheproxy_batch_item - one key of a CACHEPROXY_IOC_GET_BATCH
 * @key:	in: user pointer to the key bytes
 * @value:	in: user pointer to a buffer for the value
 * @key_len:	in: length of the key
 * @value_size:	in: size of the @value buffer
 * @value_len:	out: length of the value (also when @status is -ENOSPC)
 * @status:	out: 0 or a negative errno, as CACHEPROXY_IOC_GET would fail
 *
 * This layout is frozen (32 bytes, what item_size 0 stands for). Items grow
 * by a larger layout that starts with this one, which callers ask for by
 * its size in the batch's item_size; the kernel reads the part it knows
 * and requires the rest to be zero (E2BIG otherwise), as
 * copy_struct_from_user() does.
 */
struct cacheproxy_batch_item {
	__u64 key;
	__u64 value;
	__u32 key_len;
	__u32 value_size;
	__u32 value_len;
	__s32 status;
};

/* The largest item_size the kernel accepts (EINVAL above). */
#define CACHEPROXY_BATCH_ITEM_SIZE_MAX	256

/**
 * struct cacheproxy_get_batch - many lookups in one call
 * @items:	in: user pointer to an array of @count items
 * @count:	in: number of items, 1..CACHEPROXY_BATCH_MAX (EINVAL otherwise)
 * @flags:	in: must be 0
 * @item_size:	in: the size of one item in the caller's array: 0 for
 *		sizeof(struct cacheproxy_batch_item) (programs built before
 *		this field existed sent 0), or a multiple of 8 from that size
 *		to CACHEPROXY_BATCH_ITEM_SIZE_MAX (EINVAL otherwise); the
 *		bytes of an item beyond the kernel's struct must be zero
 *		(E2BIG)
 * @reserved:	must be 0
 *
 * The ioctl returns 0 when every item was looked up (each item then carries
 * its own status), or fails as a whole (EFAULT, EINVAL, E2BIG, EINTR).
 * Only @value_len and @status of each item are written, and only those of
 * the items looked up before a failure of the whole call. A call
 * interrupted by a signal whose handler has SA_RESTART is restarted from
 * its first item only when no item was done yet; after that a signal
 * fails the call with EINTR, the items done carrying their status.
 */
struct cacheproxy_get_batch {
	__u64 items;
	__u32 count;
	__u32 flags;
	__u32 item_size;
	__u32 reserved;
};

/**
 * struct cacheproxy_key - a key to invalidate (CACHEPROXY_IOC_INVALIDATE)
 * @key:	in: user pointer to the key bytes
 * @key_len:	in: length of the key
 * @reserved:	must be 0
 *
 * Invalidating a key that is not cached succeeds. A load of the key that is
 * in flight when it is invalidated answers its waiters but is not cached.
 */
struct cacheproxy_key {
	__u64 key;
	__u32 key_len;
	__u32 reserved;
};

#define CACHEPROXY_STATS_VERSION	5
#define CACHEPROXY_LAT_BUCKETS		32
#define CACHEPROXY_STRATEGY_LEN		16

/**
 * struct cacheproxy_stats - counters (CACHEPROXY_IOC_STATS)
 * @size:	in: sizeof(struct cacheproxy_stats) as the caller knows it,
 *		at least 8 (@size and @version; EINVAL below that); out: the
 *		kernel's size. The kernel fills min(in size, its size) bytes,
 *		so old callers keep working (the size encoded in the command
 *		number is not looked at).
 * @version:	out: CACHEPROXY_STATS_VERSION (1: up to @strategy; 2 added
 *		@nomem; 3 added @refused; 4 added @bytes; 5 added
 *		@lat_sample)
 * @lookups:	lookups made (hits + misses)
 * @hits:	lookups answered from the cache, without waiting for a load
 * @misses:	lookups that waited for a load (their own or a shared one),
 *		or failed trying (@nomem, @refused):
 *		misses = loads_started + coalesced + nomem + refused
 * @loads_started: loads queued on the loader workqueue
 * @loads_ok:	loads that produced a value
 * @loads_failed: loads that failed (ENOENT, EIO, shutdown)
 * @coalesced:	misses served by a load they did not start
 * @evictions:	entries removed to make room
 * @expirations: entries removed because their lifetime ended
 * @invalidations: entries removed by invalidate or flush
 * @entries:	entries cached now (a gauge: never negative)
 * @inflight:	loads in flight now (a gauge: never negative)
 * @lat_ns_log2: lookup latency histogram: bucket i counts lookups that
 *		took [2^i, 2^(i+1)) ns (bucket 0 also counts 0 ns; the last
 *		bucket counts everything longer). About one lookup in
 *		@lat_sample per CPU is timed, at random: multiply by it for an
 *		estimate of all; with lat_sample=1 every lookup is in it (a
 *		kernel of version 4 or older timed every lookup)
 * @strategy:	NUL-terminated name of the strategy in use
 * @nomem:	misses that failed with ENOMEM before they started or joined
 *		a load (a load that fails for want of memory counts in
 *		@loads_failed instead)
 * @refused:	misses that could not start a load: EAGAIN (max_inflight
 *		loads in flight) or ESHUTDOWN (the module is unloading)
 * @bytes:	memory held by the entries cached now (a gauge), each
 *		counted at the size of the slab object that holds it: what
 *		the capacity_bytes parameter bounds
 * @lat_sample:	the lat_sample module parameter: @lat_ns_log2 times about
 *		one lookup in this many (1: every lookup)
 * @reserved:	out: 0 (room for a later field)
 */
struct cacheproxy_stats {
	__u32 size;
	__u32 version;
	__u64 lookups;
	__u64 hits;
	__u64 misses;
	__u64 loads_started;
	__u64 loads_ok;
	__u64 loads_failed;
	__u64 coalesced;
	__u64 evictions;
	__u64 expirations;
	__u64 invalidations;
	__u64 entries;
	__u64 inflight;
	__u64 lat_ns_log2[CACHEPROXY_LAT_BUCKETS];
	char strategy[CACHEPROXY_STRATEGY_LEN];
	__u64 nomem;
	__u64 refused;
	__u64 bytes;
	__u32 lat_sample;
	__u32 reserved;
};

/**
 * struct cacheproxy_loader_attach - become a loader daemon
 *	(CACHEPROXY_IOC_LOADER_ATTACH)
 * @size:	in: sizeof(struct cacheproxy_loader_attach) as the caller
 *		knows it: a multiple of 8 from 16 (EINVAL otherwise) to
 *		CACHEPROXY_LOADER_ATTACH_SIZE_MAX (E2BIG above); bytes beyond
 *		the kernel's struct must be zero (E2BIG); out: the kernel's
 *		size (the kernel writes back min(in size, its size) bytes)
 * @flags:	in: CACHEPROXY_LOADER_CLOEXEC, CACHEPROXY_LOADER_NONBLOCK
 * @request_size: out: the size of the request header this kernel sends
 * @answer_size: out: sizeof(struct cacheproxy_load_answer) as this kernel
 *		knows it (a longer answer header must have a zero tail)
 * @value_max:	out: the longest value an answer may carry
 * @reserved:	must be 0
 *
 * With the module loaded with loader=user, the ioctl returns a new file
 * descriptor, the daemon's channel: read(2) takes load requests (struct
 * cacheproxy_load_request, each followed by its key), write(2) posts
 * answers (struct cacheproxy_load_answer, each followed by its value),
 * poll(2) says POLLIN when requests wait (and POLLHUP once the module is
 * going away). Each request goes to exactly one channel; several daemons
 * (or threads) may hold channels at once. A channel holds the module:
 * rmmod is refused while one is open. Needs CAP_SYS_ADMIN (EPERM) and
 * /dev/cacheproxy open for writing (EBADF); EOPNOTSUPP when the module was
 * loaded with loader=synthetic.
 */
struct cacheproxy_loader_attach {
	__u32 size;
	__u32 flags;
	__u32 request_size;
	__u32 answer_size;
	__u32 value_max;
	__u32 reserved;
};

#define CACHEPROXY_LOADER_ATTACH_SIZE_MAX	256

/*
 * The channel is closed on exec (recommended: requests a daemon read are
 * given back only when the last copy of its channel is closed) / its reads
 * do not block.
 */
#define CACHEPROXY_LOADER_CLOEXEC	0x1
#define CACHEPROXY_LOADER_NONBLOCK	0x2

/**
 * struct cacheproxy_load_request - one load, read from a loader channel
 * @size:	the size of this header: the key starts @size bytes after
 *		the header's start (a later kernel may send a longer header,
 *		see @request_size of the attach; a daemon skips what it does
 *		not know)
 * @flags:	0 (none defined yet; a flag a daemon does not know only
 *		adds information it may ignore)
 * @id:		the load's id, unique while the module is loaded (the first
 *		is 1); the answer names it
 * @key_len:	the key's length, 1..CACHEPROXY_KEY_MAX; the key follows the
 *		header, not NUL-terminated
 * @reserved:	0
 *
 * A read(2) returns as many whole requests as fit, each padded with zeros
 * to a multiple of 8 bytes: the next starts at the first multiple of 8 at
 * or after @size + @key_len. A buffer too small for the first request
 * fails with EINVAL; one of CACHEPROXY_LOAD_REQUEST_MAX bytes always holds
 * one, now and in later kernels. Without CACHEPROXY_LOADER_NONBLOCK a read
 * sleeps (interruptibly) until a request is there; with it, EAGAIN; once
 * the module is going away, ESHUTDOWN. A request read is the reader's
 * channel's: only it may answer it. A channel closed (its last copy) with
 * requests it read gives them back: they go to another channel, or, when
 * none is left, fail at once with ENOTCONN.
 */
struct cacheproxy_load_request {
	__u32 size;
	__u32 flags;
	__u64 id;
	__u32 key_len;
	__u32 reserved;
};

/* A read buffer this long always holds one request, header and key. */
#define CACHEPROXY_LOAD_REQUEST_MAX	512

/**
 * struct cacheproxy_load_answer - the answer to one request, written to
 *	the channel that read it
 * @size:	sizeof(struct cacheproxy_load_answer) as the daemon knows
 *		it: 24..256 and a multiple of 8 (EINVAL otherwise); bytes
 *		beyond the kernel's struct must be zero (E2BIG)
 * @flags:	must be 0
 * @id:		the request's id
 * @status:	0: the value follows (it is cached for ttl_ms); -ENOENT: no
 *		such key (a negative entry, cached for neg_ttl_ms); another
 *		negative errno (down to -4095): the load failed, nothing is
 *		cached, and the callers get EIO
 * @value_len:	the value's length, 0..CACHEPROXY_VALUE_MAX, 0 unless
 *		@status is 0; the value follows the header: any bytes, NUL
 *		and newline included
 *
 * A write(2) carries one or more answers back to back, each padded with
 * zeros to a multiple of 8 bytes (the next starts at the first multiple of
 * 8 at or after @size + @value_len). The answers are taken in order: the
 * write returns the bytes of the answers taken, all of them or, when one
 * is refused, those before it; a write whose first answer is refused
 * fails: EINVAL for a malformed answer (bad size, flags, status or
 * value_len, non-zero padding, an answer cut short) or an id never issued;
 * ESTALE for an id this channel does not hold (answered already, timed
 * out, failed by the module, or read by another channel: a daemon skips
 * that answer and writes the rest again); E2BIG; EFAULT. A refused answer
 * changes nothing: the request stays the channel's until it is answered
 * or times out (upcall_timeout_ms; its callers then get ETIMEDOUT).
 */
struct cacheproxy_load_answer {
	__u32 size;
	__u32 flags;
	__u64 id;
	__s32 status;
	__u32 value_len;
};

/* The longest answer header a daemon may send (EINVAL beyond). */
#define CACHEPROXY_LOAD_ANSWER_SIZE_MAX	256

/**
 * struct cacheproxy_uring_get - the command bytes of CACHEPROXY_URING_GET
 * @get:	in: user pointer to a struct cacheproxy_get: key, value buffer
 *		and sizes as for CACHEPROXY_IOC_GET
 * @get_size:	in: sizeof(struct cacheproxy_get) as the caller knows it,
 *		from CACHEPROXY_GET_SIZE_VER0 (40; EINVAL below) to
 *		CACHEPROXY_URING_GET_SIZE_MAX
 *		(E2BIG above); bytes beyond the kernel's struct must be zero
 *		(E2BIG)
 * @flags:	in: must be 0
 *
 * Asynchronous lookups through io_uring: an IORING_OP_URING_CMD SQE on
 * /dev/cacheproxy with cmd_op CACHEPROXY_URING_GET carries this struct in
 * its command bytes (sqe->cmd, 16 bytes: an ordinary 64-byte SQE holds
 * it). The struct cacheproxy_get and the key are read when the SQE is
 * issued. A hit is answered then; a miss is answered when its load ends,
 * and the submitting thread does not wait for it. The CQE's res is the
 * value's length (the value is in the buffer) or a negative errno: those
 * of CACHEPROXY_IOC_GET (with ENOSPC, the length needed is written to the
 * struct's value_len, which is written in no other case), EAGAIN also for
 * a miss when max_async lookups wait already (its load goes on and is
 * cached), ENOTTY for another command (cmd_op is dispatched on its type,
 * number and direction, as the ioctls are), ECANCELED when the submitting task
 * exits before the load ends (and, on kernels that cancel commands, 6.7
 * and later, when the ring is closed). The struct and the value buffer
 * must stay valid until the CQE: the value is copied out when the answer
 * comes, in the submitting task (EFAULT in the CQE if the buffer is gone
 * then). A waiting lookup holds one of the max_async slots until its CQE
 * is posted: a ring that does not reap holds its slots. With the kthread
 * strategy, whose lookups wait for the owner thread's reply, commands are
 * issued from io_uring's workers. On 6.1 (no cancellation) a ring closed,
 * or an exec, with lookups pending waits for their loads.
 */
struct cacheproxy_uring_get {
	__u64 get;
	__u32 get_size;
	__u32 flags;
};

/* The first struct cacheproxy_get's size: the least get_size accepted. */
#define CACHEPROXY_GET_SIZE_VER0	40
/* The largest get_size CACHEPROXY_URING_GET accepts (E2BIG above). */
#define CACHEPROXY_URING_GET_SIZE_MAX	256

#define CACHEPROXY_IOC_MAGIC	0xCB

#define CACHEPROXY_IOC_GET	  _IOWR(CACHEPROXY_IOC_MAGIC, 1, struct cacheproxy_get)
#define CACHEPROXY_IOC_GET_BATCH  _IOW(CACHEPROXY_IOC_MAGIC, 2, struct cacheproxy_get_batch)
#define CACHEPROXY_IOC_INVALIDATE _IOW(CACHEPROXY_IOC_MAGIC, 3, struct cacheproxy_key)
#define CACHEPROXY_IOC_FLUSH	  _IO(CACHEPROXY_IOC_MAGIC, 4)
#define CACHEPROXY_IOC_STATS	  _IOWR(CACHEPROXY_IOC_MAGIC, 5, struct cacheproxy_stats)
#define CACHEPROXY_IOC_LOADER_ATTACH \
	_IOWR(CACHEPROXY_IOC_MAGIC, 6, struct cacheproxy_loader_attach)

/* io_uring commands (sqe->cmd_op of IORING_OP_URING_CMD), not ioctls. */
#define CACHEPROXY_URING_GET \
	_IOWR(CACHEPROXY_IOC_MAGIC, 0x81, struct cacheproxy_uring_get)

#endif /* _UAPI_LINUX_CACHEPROXY_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/cacheproxy: a misc device (0600) whose ioctls are described in
 * include/uapi/linux/cacheproxy.h. The structs have one layout for 32-bit
 * and 64-bit callers, so compat_ptr_ioctl() serves compat callers.
 *
 * Commands are dispatched on their type and number; the size encoded in
 * the command is the caller's idea of the struct (GET, INVALIDATE: read
 * with copy_struct_from_user()) or ignored where the struct carries its
 * own size (STATS, GET_BATCH's items), so that callers built against an
 * older header keep working. FLUSH and INVALIDATE change the cache and
 * need a file opened for writing; so does LOADER_ATTACH, which also needs
 * CAP_SYS_ADMIN and hands the caller a loader daemon's channel (channel.c).
 *
 * Lookups also come as io_uring commands (uring.c), answered when their
 * load ends instead of blocking the submitter.
 *
 * The device holds a module reference while it is open (fops.owner), so
 * the cache, destroyed at module exit, outlives every open file: rmmod is
 * refused while the device is open, and so while a ring holds it (an
 * io_uring command holds its file until it completes).
 */
#include <linux/cacheproxy.h>
#include <linux/capability.h>
#include <linux/errno.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "cache.h"
#include "channel.h"
#include "entry.h"
#include "miscdev.h"
#include "uring.h"

/* Set once at init, before the device exists. */
static struct cacheproxy_cache *miscdev_cache;

/* Copies a key in from user space; checks only what needs no copy. */
int cacheproxy_key_from_user(char *key, u64 ukey, u32 key_len)
{
	if (!key_len)
		return -EINVAL;
	if (key_len > CACHEPROXY_KEY_MAX)
		return -ENAMETOOLONG;
	if (copy_from_user(key, u64_to_user_ptr(ukey), key_len))
		return -EFAULT;
	return 0;
}

/*
 * Hands the value of a lookup that returned 0 to user space and releases
 * it: -ENOSPC when it does not fit in @value_size, -EFAULT when it cannot
 * be copied out; *@value_len is set either way.
 */
int cacheproxy_value_to_user(struct cacheproxy_value *v, u64 uval,
			     u32 value_size, u32 *value_len)
{
	int ret = 0;

	*value_len = v->len;
	if (v->len > value_size)
		ret = -ENOSPC;
	else if (copy_to_user(u64_to_user_ptr(uval), cacheproxy_value_data(v),
			      v->len))
		ret = -EFAULT;
	cacheproxy_value_release(v);
	return ret;
}

/*
 * One lookup for GET and GET_BATCH. Returns the lookup's result; a value
 * that does not fit in @value_size gives -ENOSPC with *@value_len set;
 * -EFAULT when the value cannot be copied out.
 */
static int get_one(u64 ukey, u32 key_len, u64 uval, u32 value_size,
		   u32 *value_len)
{
	char key[CACHEPROXY_KEY_MAX];
	char buf[CACHEPROXY_VALUE_INLINE];
	struct cacheproxy_value v = {
		.buf = buf, .size = sizeof(buf), .by_ref = true,
	};
	int ret;

	ret = cacheproxy_key_from_user(key, ukey, key_len);
	if (ret)
		return ret;
	ret = cacheproxy_lookup_value(miscdev_cache, key, key_len, &v);
	if (ret)
		return ret;
	return cacheproxy_value_to_user(&v, uval, value_size, value_len);
}

/*
 * Reads the struct of @cmd, of the size encoded in it, into @arg of @size
 * bytes as copy_struct_from_user() does: a longer struct must be zero
 * beyond @size (-E2BIG). Every struct is still at its first version, so
 * a shorter one is not the command (-ENOTTY).
 */
static int arg_from_user(void *arg, size_t size, unsigned int cmd,
			 void __user *uarg)
{
	size_t usize = _IOC_SIZE(cmd);

	if (usize < size)
		return -ENOTTY;
	return copy_struct_from_user(arg, size, uarg, usize);
}

static long ioc_get(unsigned int cmd, struct cacheproxy_get __user *uarg)
{
	struct cacheproxy_get arg;
	int ret;

	ret = arg_from_user(&arg, sizeof(arg), cmd, uarg);
	if (ret)
		return ret;
	if (arg.flags || arg.reserved)
		return -EINVAL;
	ret = get_one(arg.key, arg.key_len, arg.value, arg.value_size,
		      &arg.value_len);
	if (ret && ret != -ENOSPC)
		return ret;
	if (put_user(arg.value_len, &uarg->value_len))
		return -EFAULT;
	return ret;
}

/*
 * The items are read one by one in the caller's layout (item_size bytes,
 * the part beyond ours zero) and only their out fields are written back,
 * so nothing proportional to the batch is allocated or copied twice.
 */
static long ioc_get_batch(unsigned int cmd,
			  struct cacheproxy_get_batch __user *uarg)
{
	struct cacheproxy_batch_item __user *uit;
	struct cacheproxy_batch_item it;
	struct cacheproxy_get_batch arg;
	size_t isize;
	unsigned int i;
	int ret;

	ret = arg_from_user(&arg, sizeof(arg), cmd, uarg);
	if (ret)
		return ret;
	isize = arg.item_size ? arg.item_size : sizeof(it);
	if (arg.flags || arg.reserved || !arg.count ||
	    arg.count > CACHEPROXY_BATCH_MAX || isize < sizeof(it) ||
	    isize > CACHEPROXY_BATCH_ITEM_SIZE_MAX || isize % 8)
		return -EINVAL;
	for (i = 0; i < arg.count; i++) {
		uit = u64_to_user_ptr(arg.items + (u64)i * isize);
		ret = copy_struct_from_user(&it, sizeof(it), uit, isize);
		if (ret)
			return ret;
		it.value_len = 0;
		it.status = get_one(it.key, it.key_len, it.value,
				    it.value_size, &it.value_len);
		/*
		 * Failures of the call, not of the key. Once an item is done a
		 * signal ends the call with EINTR rather than restarting it from
		 * its first item (loads that are not cached would run again).
		 */
		if (it.status == -EFAULT)
			return it.status;
		if (it.status == -ERESTARTSYS || it.status == -ERESTARTNOHAND)
			return i ? -EINTR : it.status;
		/* Both out fields in one user access window. */
		if (!user_write_access_begin(uit, sizeof(it)))
			return -EFAULT;
		unsafe_put_user(it.value_len, &uit->value_len, efault);
		unsafe_put_user(it.status, &uit->status, efault);
		user_write_access_end();
	}
	return 0;

efault:
	user_write_access_end();
	return -EFAULT;
}

static long ioc_invalidate(unsigned int cmd, struct cacheproxy_key __user *uarg)
{
	char key[CACHEPROXY_KEY_MAX];
	struct cacheproxy_key arg;
	int ret;

	ret = arg_from_user(&arg, sizeof(arg), cmd, uarg);
	if (ret)
		return ret;
	if (arg.reserved)
		return -EINVAL;
	ret = cacheproxy_key_from_user(key, arg.key, arg.key_len);
	if (ret)
		return ret;
	return cacheproxy_invalidate(miscdev_cache, key, arg.key_len);
}

/*
 * The caller says how much of the struct it knows (at least size and
 * version); it gets min(that, ours) bytes, and our size in @size.
 */
static long ioc_stats(struct cacheproxy_stats __user *uarg)
{
	struct cacheproxy_stats *st;
	u32 size;
	long ret = 0;

	if (get_user(size, &uarg->size))
		return -EFAULT;
	if (size < offsetofend(struct cacheproxy_stats, version))
		return -EINVAL;
	st = kmalloc(sizeof(*st), GFP_KERNEL_ACCOUNT);
	if (!st)
		return -ENOMEM;
	cacheproxy_stats_read(miscdev_cache, st);
	if (copy_to_user(uarg, st, min_t(size_t, size, sizeof(*st))))
		ret = -EFAULT;
	kfree(st);
	return ret;
}

/*
 * A daemon attaches (loader=user): the caller says how much of the struct
 * it knows in @size; it gets a new channel's file descriptor, and the
 * kernel's sizes written back (min(its size, ours) bytes).
 */
static long ioc_loader_attach(struct file *file,
			      struct cacheproxy_loader_attach __user *uarg)
{
	struct cacheproxy_upcall *up = cacheproxy_cache_upcall(miscdev_cache);
	struct cacheproxy_loader_attach arg;
	u32 size;
	int ret;

	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (get_user(size, &uarg->size))
		return -EFAULT;
	if (size < offsetofend(struct cacheproxy_loader_attach, answer_size) ||
	    size % 8)
		return -EINVAL;
	if (size > CACHEPROXY_LOADER_ATTACH_SIZE_MAX)
		return -E2BIG;
	ret = copy_struct_from_user(&arg, sizeof(arg), uarg, size);
	if (ret)
		return ret;
	if (size >= offsetofend(struct cacheproxy_loader_attach, reserved) &&
	    arg.reserved)
		return -EINVAL;
	if (!up)
		return -EOPNOTSUPP;
	arg.size = sizeof(arg);
	arg.request_size = sizeof(struct cacheproxy_load_request);
	arg.answer_size = sizeof(struct cacheproxy_load_answer);
	arg.value_max = CACHEPROXY_VALUE_MAX;
	/* Written before the file exists: nothing to undo if this faults. */
	if (copy_to_user(uarg, &arg, min_t(size_t, size, sizeof(arg))))
		return -EFAULT;
	return cacheproxy_channel_open(up, arg.flags);
}

/* True when @cmd is command @nr with the direction of @like. */
static bool cmd_is(unsigned int cmd, unsigned int like)
{
	return _IOC_NR(cmd) == _IOC_NR(like) && _IOC_DIR(cmd) == _IOC_DIR(like);
}

static long miscdev_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	bool writable = file->f_mode & FMODE_WRITE;

	if (_IOC_TYPE(cmd) != CACHEPROXY_IOC_MAGIC)
		return -ENOTTY;
	if (cmd_is(cmd, CACHEPROXY_IOC_GET))
		return ioc_get(cmd, uarg);
	if (cmd_is(cmd, CACHEPROXY_IOC_GET_BATCH))
		return ioc_get_batch(cmd, uarg);
	if (cmd_is(cmd, CACHEPROXY_IOC_INVALIDATE))
		return writable ? ioc_invalidate(cmd, uarg) : -EBADF;
	if (cmd == CACHEPROXY_IOC_FLUSH) {
		if (!writable)
			return -EBADF;
		cacheproxy_flush(miscdev_cache);
		return 0;
	}
	if (cmd_is(cmd, CACHEPROXY_IOC_STATS))
		return ioc_stats(uarg);
	if (cmd_is(cmd, CACHEPROXY_IOC_LOADER_ATTACH))
		return ioc_loader_attach(file, uarg);
	return -ENOTTY;
}

#if CACHEPROXY_URING
static int miscdev_uring_cmd(struct io_uring_cmd *cmd, unsigned int issue_flags)
{
	return cacheproxy_uring_cmd(miscdev_cache, cmd, issue_flags);
}
#endif

static const struct file_operations miscdev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = miscdev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
#if CACHEPROXY_URING
	.uring_cmd = miscdev_uring_cmd,
#endif
	.llseek = noop_llseek,
};

static struct miscdevice miscdev_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "cacheproxy",
	.fops = &miscdev_fops,
	.mode = 0600,
};

int cacheproxy_miscdev_init(struct cacheproxy_cache *cache)
{
	miscdev_cache = cache;
	return misc_register(&miscdev_misc);
}

void cacheproxy_miscdev_uninit(void)
{
	misc_deregister(&miscdev_misc);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/cacheproxy: a misc device (0600) whose ioctls are described in
 * include/uapi/linux/cacheproxy.h. The structs have one layout for 32-bit
 * and 64-bit callers, so compat_ptr_ioctl() serves compat callers.
 *
 * The device holds a module reference while it is open (fops.owner), so
 * the cache, destroyed at module exit, outlives every open file.
 */
#include <linux/cacheproxy.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "cache.h"
#include "chardev.h"

/* Set once at init, before the device exists. */
static struct cacheproxy_cache *chardev_cache;

/* Copies a key in from user space; checks only what needs no copy. */
static int key_from_user(char *key, u64 ukey, u32 key_len)
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
 * One lookup for GET and GET_BATCH. Returns the lookup's result; a value
 * that does not fit in @value_size gives -ENOSPC with *@value_len set;
 * -EFAULT when the value cannot be copied out.
 */
static int get_one(u64 ukey, u32 key_len, u64 uval, u32 value_size,
		   u32 *value_len)
{
	char key[CACHEPROXY_KEY_MAX];
	char val[CACHEPROXY_VALUE_MAX];
	size_t len;
	int ret;

	ret = key_from_user(key, ukey, key_len);
	if (ret)
		return ret;
	ret = cacheproxy_lookup(chardev_cache, key, key_len, val, sizeof(val),
				&len);
	if (ret)
		return ret;
	*value_len = len;
	if (len > value_size)
		return -ENOSPC;
	if (copy_to_user(u64_to_user_ptr(uval), val, len))
		return -EFAULT;
	return 0;
}

static long ioc_get(struct cacheproxy_get __user *uarg)
{
	struct cacheproxy_get arg;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
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

static long ioc_get_batch(struct cacheproxy_get_batch __user *uarg)
{
	struct cacheproxy_batch_item *items;
	struct cacheproxy_get_batch arg;
	unsigned int i;
	int ret = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || arg.reserved || !arg.count ||
	    arg.count > CACHEPROXY_BATCH_MAX)
		return -EINVAL;
	items = memdup_array_user(u64_to_user_ptr(arg.items), arg.count,
				  sizeof(*items));
	if (IS_ERR(items))
		return PTR_ERR(items);

	for (i = 0; i < arg.count; i++) {
		struct cacheproxy_batch_item *it = &items[i];

		it->value_len = 0;
		it->status = get_one(it->key, it->key_len, it->value,
				     it->value_size, &it->value_len);
		/* Failures of the call, not of the key. */
		if (it->status == -EFAULT || it->status == -EINTR) {
			ret = it->status;
			goto out;
		}
	}
	if (copy_to_user(u64_to_user_ptr(arg.items), items,
			 array_size(arg.count, sizeof(*items))))
		ret = -EFAULT;
out:
	kfree(items);
	return ret;
}

static long ioc_invalidate(struct cacheproxy_key __user *uarg)
{
	char key[CACHEPROXY_KEY_MAX];
	struct cacheproxy_key arg;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.reserved)
		return -EINVAL;
	ret = key_from_user(key, arg.key, arg.key_len);
	if (ret)
		return ret;
	return cacheproxy_invalidate(chardev_cache, key, arg.key_len);
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
	st = kmalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	cacheproxy_stats_read(chardev_cache, st);
	if (copy_to_user(uarg, st, min_t(size_t, size, sizeof(*st))))
		ret = -EFAULT;
	kfree(st);
	return ret;
}

static long chardev_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case CACHEPROXY_IOC_GET:
		return ioc_get(uarg);
	case CACHEPROXY_IOC_GET_BATCH:
		return ioc_get_batch(uarg);
	case CACHEPROXY_IOC_INVALIDATE:
		return ioc_invalidate(uarg);
	case CACHEPROXY_IOC_FLUSH:
		cacheproxy_flush(chardev_cache);
		return 0;
	case CACHEPROXY_IOC_STATS:
		return ioc_stats(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations chardev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = chardev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice chardev_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "cacheproxy",
	.fops = &chardev_fops,
	.mode = 0600,
};

int cacheproxy_chardev_init(struct cacheproxy_cache *cache)
{
	chardev_cache = cache;
	return misc_register(&chardev_misc);
}

void cacheproxy_chardev_uninit(void)
{
	misc_deregister(&chardev_misc);
}

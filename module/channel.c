// SPDX-License-Identifier: GPL-2.0
/*
 * A loader daemon's channel (loader=user): an anonymous file, made by
 * CACHEPROXY_IOC_LOADER_ATTACH on /dev/cacheproxy the way userfaultfd and
 * KVM hand out their files, so that the module has one device node and
 * one place where it is registered. read(2) takes load requests from the
 * upcall queue, write(2) answers them, poll(2) says when requests wait;
 * closing the channel detaches the daemon (upcall.c says what becomes of
 * the requests it held). The formats are in include/uapi/linux/cacheproxy.h.
 *
 * The file holds a module reference (fops.owner, taken by
 * anon_inode_getfd()), so the cache outlives it: rmmod is refused while a
 * daemon is attached.
 */
#include <linux/anon_inodes.h>
#include <linux/cacheproxy.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "channel.h"
#include "upcall.h"

/* The most request bytes one read returns (at least one request fits). */
#define CHANNEL_READ_MAX	(16 * 1024)

/**
 * struct channel - one attached daemon
 * @up:		the queue it takes loads from (the module's cache's)
 * @d:		its place in the queue
 */
struct channel {
	struct cacheproxy_upcall *up;
	struct cacheproxy_upcall_daemon d;
};

static bool channel_readable(struct channel *ch)
{
	return cacheproxy_upcall_readable(ch->up);
}

static ssize_t channel_read(struct file *file, char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	struct channel *ch = file->private_data;
	size_t size = min_t(size_t, count, CHANNEL_READ_MAX);
	void *buf = NULL;
	ssize_t n;

	if (count < sizeof(struct cacheproxy_load_request))
		return -EINVAL;
	for (;;) {
		if (!cacheproxy_upcall_readable(ch->up)) {
			if (file->f_flags & O_NONBLOCK) {
				n = -EAGAIN;
				break;
			}
			/* One reader is woken per load (see upcall.h). */
			n = wait_event_interruptible_exclusive(ch->up->wait,
							       channel_readable(ch));
			if (n)
				break;
		}
		if (!buf) {
			buf = kvmalloc(size, GFP_KERNEL_ACCOUNT);
			if (!buf) {
				n = -ENOMEM;
				break;
			}
		}
		n = cacheproxy_upcall_take(ch->up, &ch->d, buf, size);
		if (n)
			break;
	}
	/* Requests the daemon never got go back to the queue. */
	if (n > 0 && copy_to_user(ubuf, buf, n)) {
		cacheproxy_upcall_untake(ch->up, &ch->d, buf, n);
		n = -EFAULT;
	}
	kvfree(buf);
	return n;
}

/*
 * The answer at @p (@left bytes written from there on): *@used is set to
 * its padded length. Returns 0 or why it was refused.
 */
static int channel_answer(struct channel *ch, const char __user *p,
			  size_t left, size_t *used)
{
	struct cacheproxy_load_answer a;
	size_t end, padded;
	char *val = NULL;
	u32 size;
	int ret;

	if (left < sizeof(a))
		return -EINVAL;
	if (get_user(size, (const u32 __user *)p))
		return -EFAULT;
	if (size < sizeof(a) || size > CACHEPROXY_LOAD_ANSWER_SIZE_MAX ||
	    size % 8 || size > left)
		return -EINVAL;
	ret = copy_struct_from_user(&a, sizeof(a), p, size);
	if (ret)
		return ret;
	/* size and value_len are small: no overflow. */
	end = size + a.value_len;
	padded = ALIGN(end, 8);
	if (a.flags || a.value_len > CACHEPROXY_VALUE_MAX || padded > left)
		return -EINVAL;
	ret = check_zeroed_user(p + end, padded - end);
	if (ret <= 0)
		return ret ?: -EINVAL;
	if (a.value_len) {
		val = kmalloc(a.value_len, GFP_KERNEL_ACCOUNT);
		if (!val)
			return -ENOMEM;
		if (copy_from_user(val, p + size, a.value_len)) {
			kfree(val);
			return -EFAULT;
		}
	}
	ret = cacheproxy_upcall_answer(ch->up, &ch->d, a.id, a.status, val,
				       a.value_len);
	kfree(val);
	*used = padded;
	return ret;
}

static ssize_t channel_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	struct channel *ch = file->private_data;
	size_t off = 0, used;
	int ret = 0;

	while (off < count) {
		ret = channel_answer(ch, ubuf + off, count - off, &used);
		if (ret)
			break;
		off += used;
	}
	return off ? off : ret;
}

static __poll_t channel_poll(struct file *file, poll_table *wait)
{
	struct channel *ch = file->private_data;
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	poll_wait(file, &ch->up->wait, wait);
	if (cacheproxy_upcall_readable(ch->up))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (cacheproxy_upcall_stopping(ch->up))
		mask |= EPOLLHUP;
	return mask;
}

static int channel_release(struct inode *inode, struct file *file)
{
	struct channel *ch = file->private_data;

	cacheproxy_upcall_detach(ch->up, &ch->d);
	kfree(ch);
	return 0;
}

static const struct file_operations channel_fops = {
	.owner = THIS_MODULE,
	.read = channel_read,
	.write = channel_write,
	.poll = channel_poll,
	.release = channel_release,
};

/**
 * cacheproxy_channel_open - attach a daemon to @up
 * @up:		the queue
 * @flags:	CACHEPROXY_LOADER_CLOEXEC, CACHEPROXY_LOADER_NONBLOCK
 *
 * Return: the new channel's file descriptor, -EINVAL for an unknown flag,
 * -ENOMEM, or the error of getting a descriptor or an anonymous file.
 */
int cacheproxy_channel_open(struct cacheproxy_upcall *up, unsigned int flags)
{
	struct channel *ch;
	struct file *file;
	int fd;

	if (flags & ~(CACHEPROXY_LOADER_CLOEXEC | CACHEPROXY_LOADER_NONBLOCK))
		return -EINVAL;
	ch = kzalloc(sizeof(*ch), GFP_KERNEL_ACCOUNT);
	if (!ch)
		return -ENOMEM;
	ch->up = up;
	fd = get_unused_fd_flags(flags & CACHEPROXY_LOADER_CLOEXEC ?
				 O_CLOEXEC : 0);
	if (fd < 0)
		goto err_fd;
	file = anon_inode_getfile("[cacheproxy-loader]", &channel_fops, ch,
				  O_RDWR | (flags & CACHEPROXY_LOADER_NONBLOCK ?
					    O_NONBLOCK : 0));
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		fd = PTR_ERR(file);
		goto err_fd;
	}
	/* A stream: no offsets, so no pread/pwrite. */
	file->f_mode &= ~(FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE);
	file->f_mode |= FMODE_STREAM;
	/* Attached before anyone can read: fd_install() publishes it. */
	cacheproxy_upcall_attach(up, &ch->d);
	fd_install(fd, file);
	return fd;

err_fd:
	kfree(ch);
	return fd;
}

/* The parent's "dumpable" flag lives in the memory descriptor that a
 * CLONE_VM child shares, so the child's setuid/setgid sets it for the
 * parent too, to the value of the fs.suid_dumpable sysctl (0 by default).
 * That is right while the child runs in our memory (nobody may attach to
 * it and reach ours) and wrong afterwards.  Starts that change credentials
 * may overlap: the flag is restored, to what it was before the first of
 * them, only when the last one's child has exec'd or died, and only if it
 * still holds the value a child's credential change leaves.  Any other
 * value was set by the caller meanwhile, and stays.  (A caller's write of
 * that same value cannot be told from the child's: with suid_dumpable 0, a
 * PR_SET_DUMPABLE 0 made while a credential start is under way is undone
 * with the rest: cfe_set_dumpable is the way to make such a choice during a
 * start, and it is honoured exactly.) */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "internal.h"

static pthread_mutex_t dumpable_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long dumpable_holders;
static int dumpable_saved;
static int dumpable_left_by_child;
/* The value cfe_set_dumpable asked for while a start held the flag, to be
 * set by the last release; -1 when it was not called meanwhile. */
static int dumpable_asked = -1;

/* fs.suid_dumpable, or its default 0 where /proc cannot tell. */
static int suid_dumpable(void)
{
	int fd = open("/proc/sys/fs/suid_dumpable", O_RDONLY | O_CLOEXEC);
	char digit = '0';

	if (fd < 0)
		return 0;
	if (read(fd, &digit, 1) != 1 || digit < '0' || digit > '2')
		digit = '0';
	close(fd);
	return digit - '0';
}

int cfe_dumpable_restore_value(int saved, int left_by_child, int now)
{
	if (saved < 0 || now < 0 || now == saved || now != left_by_child)
		return -1;
	return saved;
}

void cfe_dumpable_hold(void)
{
	pthread_mutex_lock(&dumpable_lock);
	if (dumpable_holders++ == 0) {
		dumpable_saved = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
		dumpable_left_by_child = suid_dumpable();
		dumpable_asked = -1;
	}
	pthread_mutex_unlock(&dumpable_lock);
}

void cfe_dumpable_release(void)
{
	pthread_mutex_lock(&dumpable_lock);
	if (--dumpable_holders == 0) {
		int restore =
		    dumpable_asked >= 0
			? dumpable_asked
			: cfe_dumpable_restore_value(dumpable_saved, dumpable_left_by_child,
						     prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));

		if (restore >= 0)
			prctl(PR_SET_DUMPABLE, (unsigned long)restore, 0, 0, 0);
	}
	pthread_mutex_unlock(&dumpable_lock);
}

int32_t cfe_set_dumpable(int32_t value)
{
	int32_t e = 0;

	if (value != 0 && value != 1)
		return EINVAL;
	pthread_mutex_lock(&dumpable_lock);
	if (dumpable_holders > 0)
		dumpable_asked = value;
	/* Lowering is safe at any time; raising must wait while a child with
	 * other credentials still runs in our memory. */
	if ((dumpable_holders == 0 || value == 0) &&
	    prctl(PR_SET_DUMPABLE, (unsigned long)value, 0, 0, 0) != 0)
		e = errno;
	pthread_mutex_unlock(&dumpable_lock);
	return e;
}

/* The parent's "dumpable" flag lives in the memory descriptor that a
 * CLONE_VM child shares, so the child's setuid/setgid clears it for the
 * parent too.  That is right while the child runs in our memory (nobody may
 * attach to it and reach ours) and wrong afterwards.  Starts that change
 * credentials may overlap: the flag is restored, to what it was before the
 * first of them, only when the last one's child has exec'd or died. */
#include <pthread.h>
#include <sys/prctl.h>

#include "internal.h"

static pthread_mutex_t dumpable_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long dumpable_holders;
static int dumpable_saved;

void cfe_dumpable_hold(void)
{
	pthread_mutex_lock(&dumpable_lock);
	if (dumpable_holders++ == 0)
		dumpable_saved = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	pthread_mutex_unlock(&dumpable_lock);
}

void cfe_dumpable_release(void)
{
	pthread_mutex_lock(&dumpable_lock);
	if (--dumpable_holders == 0 && dumpable_saved >= 0)
		prctl(PR_SET_DUMPABLE, (unsigned long)dumpable_saved, 0, 0, 0);
	pthread_mutex_unlock(&dumpable_lock);
}

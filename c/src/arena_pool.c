/* A few arenas of the common size are kept for later starts: a start then
 * maps, protects and unmaps nothing, and the child's stack pages are
 * already present, so it takes no page faults in the shared memory.  An
 * arena comes back here only once its child has exec'd or died, when
 * nothing uses it any more.  Slots are taken and filled with single atomic
 * operations, so any number of threads may start at once; a process keeps
 * at most CFE_ARENA_POOL_SLOTS arenas mapped for later. */
#include <stdatomic.h>
#include <stdint.h>

#include "internal.h"

static _Atomic(uintptr_t) pool[CFE_ARENA_POOL_SLOTS];

void *cfe_arena_pool_take(void)
{
	for (int i = 0; i < CFE_ARENA_POOL_SLOTS; i++) {
		uintptr_t base = atomic_exchange(&pool[i], (uintptr_t)0);

		if (base != 0)
			return (void *)base;
	}
	return NULL;
}

int cfe_arena_pool_put(void *base)
{
	for (int i = 0; i < CFE_ARENA_POOL_SLOTS; i++) {
		uintptr_t empty = 0;

		if (atomic_compare_exchange_strong(&pool[i], &empty, (uintptr_t)base))
			return 1;
	}
	return 0;
}

/* Building the child's plan: one mapping per start holds a guard page, the
 * child's stack and a copy of everything the child reads, so the child
 * needs nothing of the caller's once cfe_start returns (it may outlive it
 * when it stops itself before execve). */
#include <errno.h>
#include <fcntl.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

/* Deepest frame: a mount target's parent directories built in a
 * CFE_PATH_MAX buffer; the rest is small. */
#define CHILD_STACK_SIZE ((size_t)64 * 1024)

/* Plans up to this size (a judge's usual configuration) fit an arena of
 * the pooled size, which is reused from start to start (arena_pool.c). */
#define POOLED_PLAN_SIZE ((size_t)64 * 1024)

static void *bump_alloc(struct cfe_bump *b, size_t size, size_t align)
{
	void *p;

	b->used = (b->used + align - 1) & ~(align - 1);
	p = b->base ? b->base + b->used : NULL;
	b->used += size;
	return p;
}

const char *cfe_bump_strdup(struct cfe_bump *b, const char *s, size_t max)
{
	size_t i = b->strings++;
	size_t len;
	size_t n;
	char *p;

	if (i >= b->lens_cap)
		return NULL;
	if (b->base == NULL)
		b->lens[i] = s == NULL ? CFE_BUMP_NULL : strnlen(s, max);
	len = b->lens[i];
	if (len == CFE_BUMP_NULL)
		return NULL;
	p = bump_alloc(b, len + 1, 1);
	if (p == NULL)
		return NULL;
	/* The caller's string may have changed since it was measured: never
	 * more than len bytes, and nothing read past its end now. */
	n = s == NULL ? 0 : strnlen(s, len);
	memcpy(p, s == NULL ? "" : s, n);
	memset(p + n, 0, len + 1 - n);
	return p;
}

static void *bump_copy(struct cfe_bump *b, const void *src, size_t size, size_t align)
{
	void *p = bump_alloc(b, size, align);

	if (p && size > 0)
		memcpy(p, src, size);
	return p;
}

/* A NULL-terminated copy of a string array, as execve wants it. */
static char *const *bump_strv(struct cfe_bump *b, const char *const *v, uint32_t n)
{
	char **out = bump_alloc(b, ((size_t)n + 1) * sizeof(char *), alignof(char *));

	for (uint32_t i = 0; i < n; i++) {
		const char *s = cfe_bump_strdup(b, v[i], SIZE_MAX);

		if (out)
			out[i] = (char *)s;
	}
	if (out)
		out[n] = NULL;
	return out;
}

/* Targets within the bound config.c checked, whatever they hold now: the
 * child copies them into a CFE_PATH_MAX buffer. */
static const struct cfe_mount *bump_mounts(struct cfe_bump *b, const struct cfe_mount *m,
					   uint32_t n)
{
	struct cfe_mount *out = bump_copy(b, m, n * sizeof(*m), alignof(struct cfe_mount));

	for (uint32_t i = 0; i < n; i++) {
		const char *source = cfe_bump_strdup(b, m[i].source, SIZE_MAX);
		const char *target = cfe_bump_strdup(b, m[i].target, CFE_PATH_MAX - 1);
		const char *fstype = cfe_bump_strdup(b, m[i].fstype, SIZE_MAX);
		const char *data = cfe_bump_strdup(b, m[i].data, SIZE_MAX);

		if (out) {
			out[i].source = source;
			out[i].target = target;
			out[i].fstype = fstype;
			out[i].data = data;
		}
	}
	return out;
}

/* How many strings plan_fill copies: args, env, four per mount, and
 * pivot_root, hostname, domainname, workdir. */
static size_t plan_strings(const struct cfe_config *c)
{
	return (size_t)c->args_len + c->env_len + 4 * (size_t)c->mounts_len + 4;
}

static int setgroups_wanted(const struct cfe_config *c)
{
	if (!(c->flags & CFE_FLAG_CREDENTIAL) || (c->flags & CFE_FLAG_NO_SETGROUPS))
		return 0;
	/* With caller-given gid maps and setgroups denied, an empty group list
	 * is what the child already has and the call would fail. */
	return !(c->gid_maps != NULL && !(c->flags & CFE_FLAG_GID_MAPPINGS_ENABLE_SETGROUPS) &&
		 c->groups_len == 0);
}

/* /proc/sys/kernel/cap_last_cap, or -1 where unreadable. */
static int32_t read_cap_last_cap(void)
{
	char text[16] = {0};
	int fd;
	ssize_t n;
	long v;
	char *end;

	fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	v = strtol(text, &end, 10);
	return end != text && v >= 0 && v < 64 ? (int32_t)v : -1;
}

/* The last capability the kernel knows when the child drops capabilities
 * with DropCaps (it empties the bounding set up to there), else -1.  It is fixed for the
 * kernel's life: read once, not at every start. */
static int32_t last_cap(const struct cfe_config *c)
{
	static _Atomic int32_t known = -2; /* -2: not read yet */
	int32_t v;

	if (!(c->flags & CFE_FLAG_DROP_CAPS))
		return -1;
	v = atomic_load_explicit(&known, memory_order_relaxed);
	if (v == -2) {
		v = read_cap_last_cap();
		if (v >= 0)
			atomic_store_explicit(&known, v, memory_order_relaxed);
	}
	return v;
}

static void plan_fill(struct cfe_bump *b, const struct cfe_config *c, const struct cfe_fds *fds,
		      uint64_t sigmask, int32_t cap_last)
{
	struct cfe_child_plan *p = bump_alloc(b, sizeof(*p), alignof(struct cfe_child_plan));
	struct cfe_error *error = bump_alloc(b, sizeof(*error), alignof(struct cfe_error));
	struct cfe_fd_op *ops =
	    bump_alloc(b, (size_t)c->files_len * sizeof(*ops), alignof(struct cfe_fd_op));
	char *const *argv = bump_strv(b, c->args, c->args_len);
	char *const *envp = bump_strv(b, c->env, c->env_len);
	const struct cfe_mount *mounts = bump_mounts(b, c->mounts, c->mounts_len);
	const struct cfe_rlimit *rlimits = bump_copy(
	    b, c->rlimits, c->rlimits_len * sizeof(*c->rlimits), alignof(struct cfe_rlimit));
	const uint32_t *groups =
	    bump_copy(b, c->groups, c->groups_len * sizeof(*c->groups), alignof(uint32_t));
	const struct cfe_bpf_insn *filter = bump_copy(
	    b, c->seccomp, c->seccomp_len * sizeof(*c->seccomp), alignof(struct cfe_bpf_insn));
	const char *pivot_root = cfe_bump_strdup(b, c->pivot_root, SIZE_MAX);
	const char *hostname = cfe_bump_strdup(b, c->hostname, SIZE_MAX);
	const char *domainname = cfe_bump_strdup(b, c->domainname, SIZE_MAX);
	const char *workdir = cfe_bump_strdup(b, c->workdir, SIZE_MAX);

	if (p == NULL)
		return;
	*p = (struct cfe_child_plan){
	    .path = argv[0],
	    .argv = argv,
	    .envp = envp,
	    .exec_fd = fds->exec_fd,
	    .sock = fds->child_sock,
	    .parent_sock = fds->parent_sock,
	    .flags = c->flags,
	    .clone_flags = c->clone_flags,
	    .has_sync = c->sync_fn != NULL,
	    .do_setgroups = setgroups_wanted(c),
	    .parent_stops = cfe_config_parent_stops(c),
	    .parent_death_signal = c->parent_death_signal,
	    .parent_pidfd = fds->parent_pidfd,
	    .cap_last = cap_last,
	    .uid = c->uid,
	    .gid = c->gid,
	    .groups_len = c->groups_len,
	    .groups = groups,
	    .fd_ops = ops,
	    .fd_ops_len = c->files_len,
	    .mounts = mounts,
	    .mounts_len = c->mounts_len,
	    .pivot_root = pivot_root,
	    .hostname = hostname,
	    .domainname = domainname,
	    .hostname_len = hostname ? strlen(hostname) : 0,
	    .domainname_len = domainname ? strlen(domainname) : 0,
	    .workdir = workdir,
	    .rlimits = rlimits,
	    .rlimits_len = c->rlimits_len,
	    .seccomp = {.len = (uint16_t)c->seccomp_len, .filter = filter},
	    .sigmask = sigmask,
	    .error = error,
	};
	cfe_fd_plan(c->files, c->files_len, fds->parked, ops);
	memset(error, 0, sizeof(*error));
}

static size_t page_round(size_t n, size_t page)
{
	return (n + page - 1) & ~(page - 1);
}

/* The size of every pooled arena: guard page, stack, POOLED_PLAN_SIZE. */
static size_t pooled_size(size_t page)
{
	return page + CHILD_STACK_SIZE + page_round(POOLED_PLAN_SIZE, page);
}

/* A fresh mapping of a->size with its guard page, or an errno. */
static int arena_map(struct cfe_arena *a, size_t page)
{
	void *base = mmap(NULL, a->size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);

	if (base == MAP_FAILED)
		return errno;
	/* A child that overflows its stack must fault, not scribble on ours.
	 * On failure the range is unmapped here and a->base stays NULL: by
	 * the time cfe_arena_destroy runs, the address may be someone
	 * else's mapping. */
	if (mprotect(base, page, PROT_NONE) != 0) {
		int err = errno;

		munmap(base, a->size);
		return err;
	}
	a->base = base;
	return 0;
}

/* Lengths of this many strings are kept on the stack; a configuration
 * with more (a long argv or env) takes them from the heap. */
#define LENS_ON_STACK 128

int cfe_arena_create(struct cfe_arena *a, const struct cfe_config *c, const struct cfe_fds *fds,
		     uint64_t sigmask)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t strings = plan_strings(c);
	size_t lens_on_stack[LENS_ON_STACK] = {0};
	size_t *lens = lens_on_stack;
	struct cfe_bump measure;
	struct cfe_bump fill;
	int err = 0;

	a->base = NULL;
	if (strings > LENS_ON_STACK) {
		lens = calloc(strings, sizeof(size_t));
		if (lens == NULL)
			return ENOMEM;
	}
	measure = (struct cfe_bump){.lens = lens, .lens_cap = strings};
	plan_fill(&measure, c, fds, sigmask, -1);
	a->stack_size = CHILD_STACK_SIZE;
	if (measure.used <= POOLED_PLAN_SIZE) {
		a->size = pooled_size(page);
		a->base = cfe_arena_pool_take();
	} else {
		a->size = page + a->stack_size + page_round(measure.used, page);
	}
	if (a->base == NULL)
		err = arena_map(a, page);
	if (err == 0) {
		a->stack = (char *)a->base + page;
		fill = (struct cfe_bump){
		    .base = (char *)a->stack + a->stack_size, .lens = lens, .lens_cap = strings};
		a->plan = (struct cfe_child_plan *)fill.base;
		plan_fill(&fill, c, fds, sigmask, last_cap(c));
	}
	if (lens != lens_on_stack)
		free(lens);
	return err;
}

void cfe_arena_destroy(struct cfe_arena *a)
{
	if (a->base == NULL)
		return;
	if (a->size != pooled_size((size_t)sysconf(_SC_PAGESIZE)) || !cfe_arena_pool_put(a->base))
		munmap(a->base, a->size);
	a->base = NULL;
}

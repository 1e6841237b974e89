/*
 * libFuzzer target over what the parent does with a configuration before it
 * clones: cfe_config_load (the size-versioned struct rule and every
 * validation rule), and for a configuration it accepts, the fd shuffle plan,
 * the id-map text and the child's arena.  Nothing is cloned and no fd is
 * opened: the fds the parent would prepare are made up.
 *
 * The input bytes are read front to back as a recipe for one configuration
 * of any size: every array, string and pointer is built here from the input,
 * in allocations of exactly the size the library may read, so that
 * AddressSanitizer sees any read past what a caller hands in.
 *
 * Build and run: make fuzz (FUZZ_TIME seconds per fuzzer).
 */
#include <errno.h>
#include <linux/sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* A failed invariant: say which, and abort so libFuzzer keeps the input. */
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_config: %s:%d: invariant failed: %s\n", __FILE__,    \
				__LINE__, #cond);                                                  \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Bounds of what one input builds; the library's own bounds are tried with
 * the oversized arrays below. */
#define MAX_STRINGS 12
#define MAX_SHORT   64
#define MAX_LONG    (CFE_PATH_MAX + 64)
#define MAX_RLIMITS 24
#define MAX_FILES   2048
#define MAX_MOUNTS  10
#define MAX_ID_MAPS 200
#define MAX_GROUPS  96
#define MAX_INSNS   (CFE_BPF_MAXINSNS + 2)
#define IDMAP_LINE  (3 * 10 + 3)

/* ---- reading the input ---- */

struct input {
	const uint8_t *p;
	size_t n;
};

/* Past the end of the input every byte reads as zero. */
static uint8_t take8(struct input *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

static uint64_t take_bytes(struct input *in, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)take8(in) << (8 * i);
	return v;
}

static uint16_t take16(struct input *in)
{
	return (uint16_t)take_bytes(in, 2);
}

static uint32_t take32(struct input *in)
{
	return (uint32_t)take_bytes(in, 4);
}

static uint64_t take64(struct input *in)
{
	return take_bytes(in, 8);
}

/* Most choices keep the configuration valid: a configuration is refused
 * at its first invalid field, and planning is fuzzed only past them all.
 * One choice in 64 is a fault, and a zero byte (all of them past the end
 * of the input) is never one. */
static int rare(struct input *in)
{
	return take8(in) >= 252;
}

/* Zero but rarely: the must-be-zero pads. */
static uint32_t take_pad(struct input *in)
{
	return rare(in) ? take32(in) | 1u : 0;
}

/* exec_fd and cgroup_fd: 0 (unset) or an fd number, rarely negative. */
static int32_t take_fd(struct input *in)
{
	uint8_t mode = take8(in);

	if (mode >= 252)
		return mode == 252 ? -1 : mode == 253 ? INT32_MIN : (int32_t)take32(in);
	if (mode >= 248)
		return INT32_MAX;
	return mode < 128 ? 0 : take8(in) % 64;
}

/* ---- memory of one iteration ---- */

struct owned {
	void *blocks[4096];
	size_t len;
};

/* size bytes (malloc(0) included: ASan then flags any access). */
static void *own(struct owned *m, size_t size)
{
	void *p = malloc(size);

	CHECK(p != NULL || size == 0);
	CHECK(m->len < sizeof(m->blocks) / sizeof(m->blocks[0]));
	m->blocks[m->len++] = p;
	return p;
}

static void owned_free(struct owned *m)
{
	for (size_t i = 0; i < m->len; i++)
		free(m->blocks[i]);
	m->len = 0;
}

/* Arrays longer than the library accepts: refused before they are read,
 * but the caller owns them, so they are real. */
static int32_t too_many_files[CFE_FILES_MAX + 1];
static uint32_t too_many_groups[CFE_GROUPS_MAX + 1];
static uint32_t all_groups[CFE_GROUPS_MAX];

/* A string of exactly len bytes filled from the input (NULs included, which
 * end it early) or with one repeated non-zero byte. */
static char *make_string(struct input *in, struct owned *m, size_t len, int repeated)
{
	char *s = own(m, len + 1);
	char fill = (char)(take8(in) | 1);

	for (size_t i = 0; i < len; i++)
		s[i] = repeated ? fill : (char)take8(in);
	s[len] = '\0';
	return s;
}

/* NULL, a short string from the input, or a long one. */
static char *take_string(struct input *in, struct owned *m)
{
	uint8_t mode = take8(in);

	if (mode < 12)
		return NULL;
	if (mode < 20)
		return make_string(in, m, take16(in) % MAX_LONG, 1);
	return make_string(in, m, mode % MAX_SHORT, 0);
}

/* A path (NULL when optional, as often as not): absolute but rarely
 * (or, when relative_ok, as often as not), around CFE_PATH_MAX one time in
 * eight. */
static char *take_path(struct input *in, struct owned *m, int optional)
{
	uint8_t mode = take8(in);
	int relative = take8(in) >= (optional ? 252 : 128);
	char *s;

	if (optional && mode < 128)
		return NULL;
	switch (mode % 16) {
	case 0:
		s = make_string(in, m, CFE_PATH_MAX - 2 + take8(in) % 4, 1);
		break;
	case 1:
		s = make_string(in, m, take16(in) % MAX_LONG, 1);
		break;
	default:
		s = make_string(in, m, take8(in) % MAX_SHORT, 0);
		break;
	}
	if (!relative && s[0] != '\0')
		s[0] = '/';
	return s;
}

/* The pointer of an array: usually as built, sometimes NULL whatever the
 * length (which must then be refused unless the length is 0). */
static int take_null(struct input *in)
{
	return rare(in);
}

/* args (never empty, but rarely) and env. */
static const char *const *take_strings(struct input *in, struct owned *m, uint32_t *len,
				       int nonempty)
{
	uint32_t n = take8(in) % (MAX_STRINGS + 1);

	if (nonempty && n == 0 && !rare(in))
		n = 1;
	const char **v = own(m, n * sizeof(*v));

	for (uint32_t i = 0; i < n; i++)
		v[i] = rare(in) ? NULL : make_string(in, m, take8(in) % MAX_SHORT, 0);
	*len = n;
	return take_null(in) ? NULL : v;
}

static const struct cfe_rlimit *take_rlimits(struct input *in, struct owned *m, uint32_t *len)
{
	uint32_t n = take8(in) % (MAX_RLIMITS + 1);
	struct cfe_rlimit *r = own(m, n * sizeof(*r));

	for (uint32_t i = 0; i < n; i++)
		r[i] = (struct cfe_rlimit){.resource = take8(in) % 20,
					   .pad = take_pad(in),
					   .cur = take64(in),
					   .max = take64(in)};
	*len = n;
	return take_null(in) ? NULL : r;
}

static int32_t take_file(struct input *in, uint32_t i, uint32_t n)
{
	if (rare(in))
		return -2 - (int32_t)(take32(in) % (INT32_MAX - 1));
	switch (take8(in) % 8) {
	case 0:
		return -1;
	case 1:
		return (int32_t)i; /* already at its place */
	case 2:
	case 3:
		return i > 0 ? (int32_t)(take16(in) % i) : 0; /* below: parked */
	case 4:
		return (int32_t)(n + take8(in)); /* above every place */
	case 5:
		return (int32_t)(take32(in) & INT32_MAX);
	default:
		return (int32_t)(take8(in) % (n + 4));
	}
}

static const int32_t *take_files(struct input *in, struct owned *m, uint32_t *len)
{
	uint8_t mode = take8(in);
	uint32_t n;
	int32_t *f;

	if (mode == 255) {
		*len = CFE_FILES_MAX + 1;
		return too_many_files;
	}
	n = mode >= 224 ? take16(in) % (MAX_FILES + 1) : mode % 24;
	f = own(m, n * sizeof(*f));
	for (uint32_t i = 0; i < n; i++)
		f[i] = take_file(in, i, n);
	*len = n;
	return take_null(in) ? NULL : f;
}

static const struct cfe_bpf_insn *take_seccomp(struct input *in, struct owned *m, uint32_t *len)
{
	uint8_t mode = take8(in);
	uint32_t n;
	struct cfe_bpf_insn *f;

	switch (mode % 16) {
	case 1:
		n = CFE_BPF_MAXINSNS - 1 + take8(in) % 3;
		break;
	case 2:
		n = take16(in) % MAX_INSNS;
		break;
	case 3:
	case 4:
	case 5:
		n = mode % 8;
		break;
	default:
		*len = 0;
		return mode < 250 ? NULL : own(m, 0);
	}
	f = own(m, n * sizeof(*f));
	for (uint32_t i = 0; i < n; i++)
		f[i] = (struct cfe_bpf_insn){
		    .code = take16(in), .jt = take8(in), .jf = take8(in), .k = take32(in)};
	*len = n;
	return take_null(in) ? NULL : f;
}

static const struct cfe_mount *take_mounts(struct input *in, struct owned *m, uint32_t *len)
{
	uint32_t n = take8(in) % (MAX_MOUNTS + 1);
	struct cfe_mount *v = own(m, n * sizeof(*v));

	for (uint32_t i = 0; i < n; i++) {
		uint8_t nod = take8(in);

		v[i] = (struct cfe_mount){
		    .source = take_string(in, m),
		    .target = rare(in) ? NULL : take_path(in, m, 0),
		    .fstype = take_string(in, m),
		    .data = take_string(in, m),
		    .flags = take64(in),
		    .make_nod = nod < 252 ? nod % 2 : nod,
		    .pad = take_pad(in),
		};
	}
	*len = n;
	return take_null(in) ? NULL : v;
}

static const struct cfe_id_map *take_id_maps(struct input *in, struct owned *m, uint32_t *len)
{
	uint8_t mode = take8(in);
	uint32_t n = mode % 4 == 0 ? take8(in) % MAX_ID_MAPS : mode % 4 - 1;
	struct cfe_id_map *v;

	if (mode >= 224) { /* NULL: the default map */
		*len = mode == 255 ? 1 : 0;
		return NULL;
	}
	v = own(m, n * sizeof(*v));
	for (uint32_t i = 0; i < n; i++)
		v[i] = (struct cfe_id_map){.container_id = take32(in),
					   .host_id = take32(in),
					   .size = take32(in),
					   .pad = take_pad(in)};
	*len = n;
	return v;
}

static const uint32_t *take_groups(struct input *in, struct owned *m, uint32_t *len)
{
	uint8_t mode = take8(in);
	uint32_t n = mode % 32;
	uint32_t *g;

	if (mode == 255) {
		*len = CFE_GROUPS_MAX + 1;
		return too_many_groups;
	}
	if (mode == 254) {
		*len = CFE_GROUPS_MAX;
		return all_groups;
	}
	g = own(m, n * sizeof(*g));
	for (uint32_t i = 0; i < n; i++)
		g[i] = take32(in);
	*len = n;
	return take_null(in) ? NULL : g;
}

static int32_t sync_never_called(void *context, int32_t pid)
{
	(void)context;
	(void)pid;
	abort();
}

static void clone_hook_never_called(void *context)
{
	(void)context;
	abort();
}

/* Ours, a later version's (larger, tail usually zero), or rarely one
 * refused: smaller than version 1, or past the bound. */
static uint64_t take_size(struct input *in)
{
	uint8_t mode = take8(in);

	if (mode >= 254)
		return mode == 254 ? take16(in) % CFE_CONFIG_SIZE_VER1 : take64(in);
	if (mode >= 224)
		return sizeof(struct cfe_config) + take16(in) % (CFE_CONFIG_SIZE_MAX + 64);
	if (mode >= 216)
		return CFE_CONFIG_SIZE_MAX + take8(in) % 3 - 1;
	return sizeof(struct cfe_config);
}

static int32_t never_written_pidfd;

static struct cfe_config take_config(struct input *in, struct owned *m)
{
	struct cfe_config c = {.size = take_size(in)};
	uint8_t mode;

	c.args = take_strings(in, m, &c.args_len, 1);
	c.env = take_strings(in, m, &c.env_len, 0);
	c.exec_fd = take_fd(in);
	c.rlimits = take_rlimits(in, m, &c.rlimits_len);
	c.files = take_files(in, m, &c.files_len);
	c.seccomp = take_seccomp(in, m, &c.seccomp_len);
	c.workdir = take_path(in, m, 1);
	c.clone_flags = take64(in);
	if (take8(in) >= 64)
		c.clone_flags = (c.clone_flags & CFE_UNSHARE_FLAGS) | CLONE_NEWNS;
	c.mounts = take_mounts(in, m, &c.mounts_len);
	c.pad0 = take_pad(in);
	c.pivot_root = take_path(in, m, 1);
	c.hostname = take_string(in, m);
	c.domainname = take_string(in, m);
	c.uid_maps = take_id_maps(in, m, &c.uid_maps_len);
	c.gid_maps = take_id_maps(in, m, &c.gid_maps_len);
	c.cgroup_fd = take_fd(in);
	c.uid = take32(in);
	c.gid = take32(in);
	c.groups = take_groups(in, m, &c.groups_len);
	c.flags = take32(in);
	if (!rare(in))
		c.flags &= CFE_FLAGS_KNOWN;
	c.pad1 = take_pad(in);
	mode = take8(in);
	c.sync_fn = mode % 4 == 1 ? sync_never_called : NULL;
	c.sync_context = mode & 2 ? m : NULL;
	c.clone_hook = mode & 4 ? clone_hook_never_called : NULL;
	c.clone_hook_context = mode & 8 ? m : NULL;
	/* Appended after version 1: mostly none, else a signal, rarely any
	 * number; pidfd_out, which loading never writes. */
	mode = take8(in);
	c.pidfd_out = mode & 1 ? &never_written_pidfd : NULL;
	if (mode >= 128)
		c.parent_death_signal = rare(in) ? (int32_t)take32(in) : take8(in) % 66;
	c.pad2 = take_pad(in);
	return c;
}

/* The caller's struct as cfe_config_load sees it: size bytes (at least the
 * size field), the fields this version knows, then the tail, all zero or
 * with a byte from the input somewhere. */
static const struct cfe_config *lay_out(struct input *in, struct owned *m,
					const struct cfe_config *c, size_t *tail_nonzero)
{
	size_t known = sizeof(*c);
	size_t size = c->size < sizeof(c->size) ? sizeof(c->size) : (size_t)c->size;
	unsigned char *buf;

	*tail_nonzero = 0;
	/* A claim larger than the bound is refused before anything past the
	 * size field is read; give it what a lying caller would. */
	if (c->size > CFE_CONFIG_SIZE_MAX)
		size = known;
	buf = own(m, size);
	memcpy(buf, c, size < known ? size : known);
	if (size > known) {
		memset(buf + known, 0, size - known);
		if (rare(in)) {
			size_t at = known + take16(in) % (size - known);

			buf[at] = (unsigned char)(take8(in) | 1);
			*tail_nonzero = 1;
		}
	}
	return (const struct cfe_config *)buf;
}

/* ---- what cfe_config_load must answer, from the header's rules ---- */

static int strings_ok(const char *const *v, uint32_t n)
{
	if (n > 0 && v == NULL)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if (v[i] == NULL)
			return 0;
	return 1;
}

static int id_maps_ok(const struct cfe_id_map *v, uint32_t n)
{
	if (n > 0 && v == NULL)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if (v[i].pad != 0)
			return 0;
	return 1;
}

static int rlimits_ok(const struct cfe_rlimit *v, uint32_t n)
{
	if (n > 0 && v == NULL)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if (v[i].pad != 0)
			return 0;
	return 1;
}

static int files_ok(const int32_t *v, uint32_t n)
{
	if (n > CFE_FILES_MAX || (n > 0 && v == NULL))
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if (v[i] < -1)
			return 0;
	return 1;
}

/* The first bad mount decides: EINVAL, ENAMETOOLONG, or 0. */
static int mounts_verdict(const struct cfe_mount *v, uint32_t n)
{
	if (n > 0 && v == NULL)
		return EINVAL;
	for (uint32_t i = 0; i < n; i++) {
		if (v[i].target == NULL || v[i].make_nod > 1 || v[i].pad != 0)
			return EINVAL;
		if (strlen(v[i].target) >= CFE_PATH_MAX)
			return ENAMETOOLONG;
	}
	return 0;
}

/* Whether an absolute path names "/" by its spelling alone: after the
 * slashes, each component is "." or "..", or there is none. */
static int is_root_path(const char *p)
{
	size_t i = 0;

	while (p[i] != '\0') {
		size_t start, len;

		while (p[i] == '/')
			i++;
		start = i;
		while (p[i] != '\0' && p[i] != '/')
			i++;
		len = i - start;
		if (len == 0)
			break;
		if (!(len == 1 && p[start] == '.') &&
		    !(len == 2 && p[start] == '.' && p[start + 1] == '.'))
			return 0;
	}
	return 1;
}

static int expected_verdict(const struct cfe_config *c, int tail_nonzero)
{
	uint64_t ns = c->clone_flags & CFE_UNSHARE_FLAGS;

	if (c->size < CFE_CONFIG_SIZE_VER1)
		return EINVAL;
	if (c->size > CFE_CONFIG_SIZE_MAX || tail_nonzero)
		return E2BIG;
	if (c->args_len == 0 || !strings_ok(c->args, c->args_len) ||
	    !strings_ok(c->env, c->env_len) || c->exec_fd < 0 || c->cgroup_fd < 0 || c->pad0 != 0 ||
	    c->pad1 != 0 || c->pad2 != 0 || c->parent_death_signal < 0 ||
	    c->parent_death_signal > 64 || (c->flags & ~CFE_FLAGS_KNOWN) != 0 ||
	    !rlimits_ok(c->rlimits, c->rlimits_len) || !files_ok(c->files, c->files_len) ||
	    (c->seccomp_len == 0) != (c->seccomp == NULL) || c->seccomp_len > CFE_BPF_MAXINSNS ||
	    !id_maps_ok(c->uid_maps, c->uid_maps_len) ||
	    !id_maps_ok(c->gid_maps, c->gid_maps_len) || (c->groups_len > 0 && c->groups == NULL) ||
	    c->groups_len > CFE_GROUPS_MAX)
		return EINVAL;
	if (c->args_len > CFE_ARG_STRINGS_MAX || c->env_len > CFE_ARG_STRINGS_MAX ||
	    c->uid_maps_len > CFE_ID_MAP_LINES_MAX || c->gid_maps_len > CFE_ID_MAP_LINES_MAX)
		return EINVAL;
	/* Mounts only in a mount namespace of the child's own. */
	if ((c->mounts_len > 0 || c->pivot_root != NULL) && !(ns & CLONE_NEWNS))
		return EINVAL;
	/* Host and domain names only in a UTS namespace of its own. */
	if ((c->hostname != NULL || c->domainname != NULL) && !(ns & CLONE_NEWUTS))
		return EINVAL;
	/* A child stopped before its handshake could never be continued. */
	if ((c->flags & CFE_FLAG_STOP_BEFORE_SECCOMP) && c->sync_fn != NULL &&
	    !((c->flags & CFE_FLAG_PTRACE) && c->seccomp_len > 0))
		return EINVAL;
	if (c->pivot_root != NULL && (c->pivot_root[0] != '/' || is_root_path(c->pivot_root)))
		return EINVAL;
	return mounts_verdict(c->mounts, c->mounts_len);
}

/* ---- the fd shuffle ---- */

/* A simulated fd table: which file (named by the fd it had before the
 * start, or by the parked entry's file) each fd holds. */
struct fd_sim {
	int32_t fd[MAX_FILES * 2 + 8];
	int32_t file[MAX_FILES * 2 + 8];
	size_t len;
};

static int32_t *sim_slot(struct fd_sim *s, int32_t fd)
{
	for (size_t i = 0; i < s->len; i++)
		if (s->fd[i] == fd)
			return &s->file[i];
	return NULL;
}

static void sim_put(struct fd_sim *s, int32_t fd, int32_t file)
{
	int32_t *slot = sim_slot(s, fd);

	if (slot == NULL) {
		CHECK(s->len < sizeof(s->fd) / sizeof(s->fd[0]));
		s->fd[s->len] = fd;
		slot = &s->file[s->len++];
	}
	*slot = file;
}

static void sim_close(struct fd_sim *s, int32_t fd)
{
	for (size_t i = 0; i < s->len; i++)
		if (s->fd[i] == fd) {
			s->len--;
			s->fd[i] = s->fd[s->len];
			s->file[i] = s->file[s->len];
			return;
		}
}

/* Park as fds.c would (each copy at the lowest free fd from files_len up,
 * as F_DUPFD_CLOEXEC picks it), plan,
 * replay the plan on the simulated table, and check that fd i ends up
 * holding files[i] (or closed for -1) with every step in range. */
static void check_fd_plan(const struct cfe_config *c, int32_t *parked, uint32_t *parked_len,
			  struct cfe_fd_op *ops)
{
	static struct fd_sim sim;
	uint32_t n = c->files_len;
	uint32_t k = 0;

	sim.len = 0;
	for (uint32_t i = 0; i < n; i++)
		if (c->files[i] >= 0)
			sim_put(&sim, c->files[i], c->files[i]);
	for (uint32_t i = 0; i < n; i++) {
		int park = cfe_fd_needs_park(c->files, i);

		CHECK(park == (c->files[i] >= 0 && c->files[i] < (int32_t)i));
		if (park) {
			int32_t copy = (int32_t)n;

			while (sim_slot(&sim, copy) != NULL)
				copy++;
			parked[k++] = copy;
			sim_put(&sim, copy, c->files[i]);
		}
	}
	*parked_len = k;
	cfe_fd_plan(c->files, n, parked, ops);
	for (uint32_t i = 0; i < n; i++) {
		const struct cfe_fd_op *op = &ops[i];
		const int32_t *from;

		CHECK(op->to == (int32_t)i && (uint32_t)op->to < n);
		switch (op->kind) {
		case CFE_FD_CLOSE:
			CHECK(c->files[i] == -1);
			sim_close(&sim, op->to);
			break;
		case CFE_FD_CLEAR_CLOEXEC:
			CHECK(op->from == op->to && c->files[i] == (int32_t)i);
			CHECK(sim_slot(&sim, op->to) != NULL);
			break;
		case CFE_FD_DUP:
			CHECK(op->from != op->to && op->from >= 0);
			/* The source is never one a step before already wrote. */
			CHECK(op->from >= (int32_t)i);
			from = sim_slot(&sim, op->from);
			CHECK(from != NULL && *from == c->files[i]);
			sim_put(&sim, op->to, *from);
			break;
		default:
			CHECK(!"unknown fd op kind");
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		const int32_t *at = sim_slot(&sim, (int32_t)i);

		if (c->files[i] == -1)
			CHECK(at == NULL);
		else
			CHECK(at != NULL && *at == c->files[i]);
	}
}

/* ---- id-map text ---- */

static size_t put_uint(char *out, uint32_t v)
{
	char digits[10];
	size_t n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (size_t i = 0; i < n; i++)
		out[i] = digits[n - 1 - i];
	return n;
}

/* "container host size\n" per map, or the single self map. */
static size_t expected_idmap_text(const struct cfe_id_map *maps, uint32_t n, uint32_t self,
				  char *out)
{
	struct cfe_id_map one = {.container_id = 0, .host_id = self, .size = 1};
	size_t len = 0;

	if (maps == NULL) {
		maps = &one;
		n = 1;
	}
	for (uint32_t i = 0; i < n; i++) {
		len += put_uint(out + len, maps[i].container_id);
		out[len++] = ' ';
		len += put_uint(out + len, maps[i].host_id);
		out[len++] = ' ';
		len += put_uint(out + len, maps[i].size);
		out[len++] = '\n';
	}
	return len;
}

static void check_idmap(struct input *in, struct owned *m, const struct cfe_id_map *maps,
			uint32_t n)
{
	uint32_t self = take32(in);
	char *want = own(m, ((size_t)n + 1) * IDMAP_LINE);
	size_t want_len = expected_idmap_text(maps, n, self, want);
	size_t caps[4] = {want_len, want_len + 1, 4096, take16(in) % (want_len + 64)};

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		size_t cap = caps[i];
		/* Exactly cap bytes: ASan catches a write past them. */
		char *buf = own(m, cap);
		long got = cfe_idmap_format(maps, n, self, buf, cap);

		CHECK(got == -1 || (got >= 0 && (size_t)got <= cap));
		if (want_len < cap)
			CHECK(got == (long)want_len);
		if (got >= 0)
			CHECK((size_t)got == want_len && memcmp(buf, want, want_len) == 0);
	}
}

/* ---- the arena ---- */

struct span {
	const char *lo, *hi;
};

static int inside(struct span s, const void *p, size_t len)
{
	const char *c = p;

	return c >= s.lo && c <= s.hi && len <= (size_t)(s.hi - c);
}

/* A copy in the arena of a caller's string (or NULL for NULL). */
static void check_string_copy(struct span s, const char *copy, const char *orig)
{
	if (orig == NULL) {
		CHECK(copy == NULL);
		return;
	}
	CHECK(copy != NULL && copy != orig);
	CHECK(inside(s, copy, strlen(orig) + 1));
	CHECK(strcmp(copy, orig) == 0);
}

static void check_array_copy(struct span s, const void *copy, const void *orig, size_t size)
{
	CHECK(copy != NULL && inside(s, copy, size));
	CHECK(size == 0 || memcmp(copy, orig, size) == 0);
}

static void check_strv(struct span s, char *const *copy, const char *const *orig, uint32_t n)
{
	CHECK(copy != NULL && inside(s, copy, ((size_t)n + 1) * sizeof(*copy)));
	for (uint32_t i = 0; i < n; i++)
		check_string_copy(s, copy[i], orig[i]);
	CHECK(copy[n] == NULL);
}

static int expected_setgroups(const struct cfe_config *c)
{
	if (!(c->flags & CFE_FLAG_CREDENTIAL) || (c->flags & CFE_FLAG_NO_SETGROUPS))
		return 0;
	/* SPEC §3.5: skipped for given GID mappings with setgroups denied and
	 * no groups. */
	return !(c->gid_maps != NULL && !(c->flags & CFE_FLAG_GID_MAPPINGS_ENABLE_SETGROUPS) &&
		 c->groups_len == 0);
}

static void check_arena(struct input *in, const struct cfe_config *c, const int32_t *parked,
			uint32_t parked_len, const struct cfe_fd_op *ops)
{
	struct cfe_fds fds = {
	    .child_sock = take_fd(in),
	    .parent_sock = take_fd(in),
	    .exec_fd = c->exec_fd,
	    .exec_fd_copy = -1,
	    .parked = parked_len > 0 ? (int32_t *)parked : NULL,
	    .parked_len = parked_len,
	};
	uint64_t sigmask = take64(in);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct cfe_arena a;
	const struct cfe_child_plan *p;
	struct span s;

	if (take8(in) % 4 == 0 && c->exec_fd > 0)
		fds.exec_fd = (int32_t)(c->files_len + parked_len); /* a copy above */
	CHECK(cfe_arena_create(&a, c, &fds, sigmask) == 0);
	CHECK(a.base != NULL && a.size % page == 0);
	CHECK((char *)a.stack == (char *)a.base + page && a.stack_size > 0);
	CHECK((char *)a.plan == (char *)a.stack + a.stack_size);
	s = (struct span){.lo = (const char *)a.plan, .hi = (const char *)a.base + a.size};
	p = a.plan;
	CHECK(inside(s, p, sizeof(*p)));

	check_strv(s, p->argv, c->args, c->args_len);
	check_strv(s, p->envp, c->env, c->env_len);
	CHECK(p->path == p->argv[0]);
	CHECK(p->exec_fd == fds.exec_fd && p->sock == fds.child_sock &&
	      p->parent_sock == fds.parent_sock);
	CHECK(p->flags == c->flags && p->clone_flags == c->clone_flags);
	CHECK(p->has_sync == (c->sync_fn != NULL));
	CHECK(p->do_setgroups == expected_setgroups(c));
	CHECK(p->uid == c->uid && p->gid == c->gid && p->groups_len == c->groups_len);
	check_array_copy(s, p->groups, c->groups, c->groups_len * sizeof(*c->groups));
	CHECK(p->fd_ops_len == c->files_len);
	check_array_copy(s, p->fd_ops, ops, c->files_len * sizeof(*ops));

	CHECK(p->mounts_len == c->mounts_len);
	CHECK(inside(s, p->mounts, c->mounts_len * sizeof(*p->mounts)));
	for (uint32_t i = 0; i < c->mounts_len; i++) {
		const struct cfe_mount *got = &p->mounts[i], *want = &c->mounts[i];

		check_string_copy(s, got->source, want->source);
		check_string_copy(s, got->target, want->target);
		check_string_copy(s, got->fstype, want->fstype);
		check_string_copy(s, got->data, want->data);
		CHECK(got->flags == want->flags && got->make_nod == want->make_nod &&
		      got->pad == 0);
	}
	check_string_copy(s, p->pivot_root, c->pivot_root);
	check_string_copy(s, p->hostname, c->hostname);
	check_string_copy(s, p->domainname, c->domainname);
	check_string_copy(s, p->workdir, c->workdir);
	CHECK(p->hostname_len == (c->hostname ? strlen(c->hostname) : 0));
	CHECK(p->domainname_len == (c->domainname ? strlen(c->domainname) : 0));

	CHECK(p->rlimits_len == c->rlimits_len);
	check_array_copy(s, p->rlimits, c->rlimits, c->rlimits_len * sizeof(*c->rlimits));
	CHECK(p->seccomp.len == c->seccomp_len);
	check_array_copy(s, p->seccomp.filter, c->seccomp, c->seccomp_len * sizeof(*c->seccomp));
	CHECK(p->sigmask == sigmask);
	CHECK(p->error != NULL && inside(s, p->error, sizeof(*p->error)));
	CHECK(p->error->err_no == 0 && p->error->location == 0 && p->error->index == 0);
	cfe_arena_destroy(&a);
	CHECK(a.base == NULL);
}

/* ---- one input ---- */

static void check_loaded(struct input *in, struct owned *m, const struct cfe_config *given,
			 const struct cfe_config *c)
{
	struct cfe_config want = *given;
	int32_t *parked;
	uint32_t parked_len = 0;
	struct cfe_fd_op *ops;

	/* The copy is the caller's struct, its size made ours and its clone
	 * flags masked. */
	want.size = sizeof(want);
	want.clone_flags &= CFE_UNSHARE_FLAGS;
	CHECK(memcmp(&want, c, sizeof(want)) == 0);
	CHECK(cfe_config_stops(c) == ((c->flags & CFE_FLAG_STOP_BEFORE_SECCOMP) ||
				      ((c->flags & CFE_FLAG_PTRACE) && c->seccomp_len > 0)));
	CHECK(cfe_config_returns_pending(c) ==
	      (cfe_config_stops(c) || (c->flags & CFE_FLAG_RETURN_BEFORE_EXEC) != 0));
	CHECK(cfe_config_needs_handshake(c) ==
	      ((c->clone_flags & CLONE_NEWUSER) || c->sync_fn != NULL ||
	       cfe_config_returns_pending(c)));

	parked = own(m, c->files_len * sizeof(*parked));
	ops = own(m, c->files_len * sizeof(*ops));
	check_fd_plan(c, parked, &parked_len, ops);
	check_idmap(in, m, c->uid_maps, c->uid_maps_len);
	check_idmap(in, m, c->gid_maps, c->gid_maps_len);
	check_arena(in, c, parked, parked_len, ops);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct owned m;
	struct input in = {.p = data, .n = size};
	struct cfe_config given = take_config(&in, &m);
	size_t tail_nonzero;
	const struct cfe_config *laid_out = lay_out(&in, &m, &given, &tail_nonzero);
	struct cfe_config loaded;
	int want = expected_verdict(&given, (int)tail_nonzero);
	int got = cfe_config_load(laid_out, &loaded);

	if (got != want) {
		fprintf(stderr, "fuzz_config: cfe_config_load returned %d, expected %d\n", got,
			want);
		abort();
	}
	if (got == 0)
		check_loaded(&in, &m, &given, &loaded);
	owned_free(&m);
	return 0;
}

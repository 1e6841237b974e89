/* Reading a caller's configuration: the size-versioned struct rule and the
 * checks that turn a bad field into EINVAL before any process exists. */
#include <errno.h>
#include <linux/sched.h>
#include <stddef.h>
#include <string.h>

#include "internal.h"

_Static_assert(offsetof(struct cfe_config, pidfd_out) == CFE_CONFIG_SIZE_VER1,
	       "struct cfe_config of version 1 changed size");
_Static_assert(sizeof(struct cfe_config) == CFE_CONFIG_SIZE_VER2,
	       "struct cfe_config of version 2 changed size");
_Static_assert(sizeof(struct cfe_bpf_insn) == 8, "cfe_bpf_insn must match sock_filter");

static int tail_is_zero(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/* Each check bounds a count before it reads the array behind it. */
static int strings_valid(const char *const *v, uint32_t n)
{
	if ((n > 0 && v == NULL) || n > CFE_ARG_STRINGS_MAX)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if (v[i] == NULL)
			return 0;
	return 1;
}

static int mounts_check(const struct cfe_mount *m, uint32_t n)
{
	if (n > 0 && m == NULL)
		return EINVAL;
	for (uint32_t i = 0; i < n; i++) {
		if (m[i].target == NULL || m[i].make_nod > 1 || m[i].pad != 0)
			return EINVAL;
		if (strnlen(m[i].target, CFE_PATH_MAX) >= CFE_PATH_MAX)
			return ENAMETOOLONG;
	}
	return 0;
}

static int id_maps_valid(const struct cfe_id_map *m, uint32_t n)
{
	if ((n > 0 && m == NULL) || n > CFE_ID_MAP_LINES_MAX)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if (m[i].pad != 0)
			return 0;
	return 1;
}

static int rlimits_valid(const struct cfe_rlimit *r, uint32_t n)
{
	if (n > 0 && r == NULL)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if (r[i].pad != 0)
			return 0;
	return 1;
}

static int files_valid(const int32_t *f, uint32_t n)
{
	if ((n > 0 && f == NULL) || n > CFE_FILES_MAX)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if (f[i] < -1)
			return 0;
	return 1;
}

/* Whether an absolute path is "/" whatever the file system holds: it has
 * no component but "." and "..". */
static int names_root(const char *path)
{
	const char *s = path;

	for (;;) {
		size_t n;

		s += strspn(s, "/");
		n = strcspn(s, "/");
		if (n == 0)
			return 1;
		if (s[0] != '.' || n > 2 || (n == 2 && s[1] != '.'))
			return 0;
		s += n;
	}
}

static int config_check(const struct cfe_config *c)
{
	if (c->args_len == 0 || !strings_valid(c->args, c->args_len) ||
	    !strings_valid(c->env, c->env_len))
		return EINVAL;
	if (c->exec_fd < 0 || c->cgroup_fd < 0 || c->pad0 != 0 || c->pad1 != 0 || c->pad2 != 0)
		return EINVAL;
	/* PR_SET_PDEATHSIG takes 1.._NSIG. */
	if (c->parent_death_signal < 0 || c->parent_death_signal > CFE_SIGNAL_MAX)
		return EINVAL;
	if ((c->flags & ~CFE_FLAGS_KNOWN) != 0)
		return EINVAL;
	if (!rlimits_valid(c->rlimits, c->rlimits_len) || !files_valid(c->files, c->files_len))
		return EINVAL;
	if ((c->seccomp_len == 0) != (c->seccomp == NULL) || c->seccomp_len > CFE_BPF_MAXINSNS)
		return EINVAL;
	if (!id_maps_valid(c->uid_maps, c->uid_maps_len) ||
	    !id_maps_valid(c->gid_maps, c->gid_maps_len))
		return EINVAL;
	if ((c->groups_len > 0 && c->groups == NULL) || c->groups_len > CFE_GROUPS_MAX)
		return EINVAL;
	/* Mounts outside a new mount namespace would change the caller's own
	 * mount table: refuse rather than surprise. */
	if ((c->mounts_len > 0 || c->pivot_root != NULL) && !(c->clone_flags & CLONE_NEWNS))
		return EINVAL;
	/* The names of a UTS namespace the child does not create are the
	 * machine's (the caller's, at least): refuse rather than rename it. */
	if ((c->hostname != NULL || c->domainname != NULL) && !(c->clone_flags & CLONE_NEWUTS))
		return EINVAL;
	/* The child would stop before its handshake, and the caller, who
	 * does not know its pid yet, could never continue it. */
	if ((c->flags & CFE_FLAG_STOP_BEFORE_SECCOMP) && c->sync_fn != NULL &&
	    !((c->flags & CFE_FLAG_PTRACE) && c->seccomp_len > 0))
		return EINVAL;
	/* The child enters pivot_root before pivoting into it, where a
	 * relative path would name something else; and a tmpfs mounted on
	 * "/" is not where a lookup of "/" goes, so the child would make
	 * old_root in the caller's root directory. */
	if (c->pivot_root != NULL && (c->pivot_root[0] != '/' || names_root(c->pivot_root)))
		return EINVAL;
	return mounts_check(c->mounts, c->mounts_len);
}

int cfe_config_load(const struct cfe_config *config, struct cfe_config *out)
{
	memset(out, 0, sizeof(*out));
	if (config == NULL || config->size < CFE_CONFIG_SIZE_VER1)
		return EINVAL;
	/* Like clone3, bound the tail a caller can make us read. */
	if (config->size > CFE_CONFIG_SIZE_MAX)
		return E2BIG;
	if (config->size > sizeof(*out) &&
	    !tail_is_zero((const unsigned char *)config + sizeof(*out),
			  (size_t)(config->size - sizeof(*out))))
		return E2BIG;
	memcpy(out, config, config->size < sizeof(*out) ? (size_t)config->size : sizeof(*out));
	out->size = sizeof(*out);
	out->clone_flags &= CFE_UNSHARE_FLAGS;
	return config_check(out);
}

int cfe_config_stops(const struct cfe_config *c)
{
	return (c->flags & CFE_FLAG_STOP_BEFORE_SECCOMP) ||
	       ((c->flags & CFE_FLAG_PTRACE) && c->seccomp_len > 0);
}

int cfe_config_returns_pending(const struct cfe_config *c)
{
	return cfe_config_stops(c) || (c->flags & CFE_FLAG_RETURN_BEFORE_EXEC);
}

int cfe_config_parent_stops(const struct cfe_config *c)
{
	return (c->flags & CFE_FLAG_STOP_BEFORE_SECCOMP) && (c->clone_flags & CLONE_NEWPID) &&
	       !((c->flags & CFE_FLAG_PTRACE) && c->seccomp_len > 0);
}

int cfe_config_needs_handshake(const struct cfe_config *c)
{
	return (c->clone_flags & CLONE_NEWUSER) || c->sync_fn != NULL ||
	       cfe_config_returns_pending(c);
}

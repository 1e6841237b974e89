/* Unit tests of config.c — the size-versioned struct rule, every validation
 * rule, which configurations stop or need a handshake — and of plan.c, the
 * arena a loaded configuration is copied into for the child. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#include "internal.h"

/* ---- configurations ---- */

static const char *const one_arg[] = {"/bin/true"};

static struct cfe_config minimal_config(void)
{
	return (struct cfe_config){
	    .size = sizeof(struct cfe_config), .args = one_arg, .args_len = 1};
}

static int32_t sync_ok(void *context, int32_t pid)
{
	(void)context;
	(void)pid;
	return 0;
}

static const char *const full_args[] = {"/bin/echo", "hello", "world"};
static const char *const full_env[] = {"PATH=/bin", "HOME=/"};
static const struct cfe_rlimit full_rlimits[] = {
    {.resource = RLIMIT_CPU, .cur = 1, .max = 2},
    {.resource = RLIMIT_NOFILE, .cur = 64, .max = 128},
};
static const int32_t full_files[] = {0, -1, 2, 1};
static const struct cfe_bpf_insn full_seccomp[] = {
    {.code = 0x20, .k = 4},
    {.code = 0x15, .jt = 1, .jf = 0, .k = 0xc000003e},
    {.code = 0x06, .k = 0x7fff0000},
};
static const struct cfe_mount full_mounts[] = {
    {.source = "/usr", .target = "usr", .flags = MS_BIND | MS_RDONLY},
    {.source = "tmp", .target = "/tmp", .fstype = "tmpfs", .data = "size=1m"},
    {.source = "/etc/hostname", .target = "etc/hostname", .flags = MS_BIND, .make_nod = 1},
};
static const struct cfe_id_map full_uid_maps[] = {{.container_id = 0, .host_id = 1000, .size = 1}};
static const struct cfe_id_map full_gid_maps[] = {
    {.container_id = 0, .host_id = 1000, .size = 1},
    {.container_id = 1, .host_id = 100000, .size = 65536},
};
static const uint32_t full_groups[] = {5, 6, 7};
static int full_context;
static int32_t full_pidfd;

/* Every field set to a valid non-zero value. */
static struct cfe_config full_config(void)
{
	return (struct cfe_config){
	    .size = sizeof(struct cfe_config),
	    .args = full_args,
	    .env = full_env,
	    .args_len = 3,
	    .env_len = 2,
	    .exec_fd = 9,
	    .rlimits_len = 2,
	    .rlimits = full_rlimits,
	    .files = full_files,
	    .files_len = 4,
	    .seccomp_len = 3,
	    .seccomp = full_seccomp,
	    .workdir = "/work",
	    .clone_flags = CFE_UNSHARE_FLAGS,
	    .mounts = full_mounts,
	    .mounts_len = 3,
	    .pivot_root = "/tmp/root",
	    .hostname = "judge",
	    .domainname = "example.org",
	    .uid_maps = full_uid_maps,
	    .gid_maps = full_gid_maps,
	    .uid_maps_len = 1,
	    .gid_maps_len = 2,
	    .cgroup_fd = 11,
	    .uid = 65534,
	    .gid = 65533,
	    .groups_len = 3,
	    .groups = full_groups,
	    .flags = CFE_FLAGS_KNOWN,
	    .sync_fn = sync_ok,
	    .sync_context = &full_context,
	    .pidfd_out = &full_pidfd,
	    .parent_death_signal = SIGTERM,
	};
}

static int load(const struct cfe_config *c)
{
	struct cfe_config out;

	return cfe_config_load(c, &out);
}

/* ---- the size rule ---- */

static void test_null_config_refused(void **state)
{
	struct cfe_config out;

	(void)state;
	assert_int_equal(cfe_config_load(NULL, &out), EINVAL);
}

static void test_size_ver2_reads_every_field(void **state)
{
	struct cfe_config c = full_config();
	struct cfe_config out;

	(void)state;
	assert_int_equal(c.size, CFE_CONFIG_SIZE_VER2);
	memset(&out, 0xaa, sizeof(out));
	assert_int_equal(cfe_config_load(&c, &out), 0);
	assert_memory_equal(&out, &c, sizeof(c));
}

/* A caller of version 1 (the fields appended since lie past its size, in
 * memory that is not its struct's): they read as zero, the rest as given. */
static void test_size_ver1_reads_new_fields_as_zero(void **state)
{
	struct cfe_config c = full_config();
	struct cfe_config out;

	(void)state;
	c.size = CFE_CONFIG_SIZE_VER1;
	c.flags &= ~(uint32_t)CFE_FLAG_CLOSE_OTHER_FDS; /* not a flag of version 1 */
	c.pad2 = 0xdeadbeef;				/* garbage past its size */
	c.parent_death_signal = -7;
	memset(&out, 0xaa, sizeof(out));
	assert_int_equal(cfe_config_load(&c, &out), 0);
	assert_int_equal(out.size, sizeof(out));
	assert_memory_equal((const char *)&out + 8, (const char *)&c + 8, CFE_CONFIG_SIZE_VER1 - 8);
	assert_null(out.pidfd_out);
	assert_int_equal(out.parent_death_signal, 0);
	assert_int_equal(out.pad2, 0);
}

static void test_smaller_size_refused(void **state)
{
	const uint64_t sizes[] = {0, 1, 8, CFE_CONFIG_SIZE_VER1 - 8, CFE_CONFIG_SIZE_VER1 - 1};
	struct cfe_config c = minimal_config();

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		c.size = sizes[i];
		assert_int_equal(load(&c), EINVAL);
	}
}

/* A caller compiled against a later header: its struct is larger. */
struct later_config {
	struct cfe_config v1;
	unsigned char tail[64];
};

static void test_larger_size_with_zero_tail_accepted(void **state)
{
	struct later_config later = {.v1 = full_config()};
	struct cfe_config want = full_config();
	struct cfe_config out;

	(void)state;
	later.v1.size = sizeof(later);
	assert_int_equal(cfe_config_load(&later.v1, &out), 0);
	assert_int_equal(out.size, sizeof(struct cfe_config));
	assert_memory_equal(&out, &want, sizeof(want));
}

static void test_larger_size_with_nonzero_tail_refused(void **state)
{
	struct later_config later = {.v1 = minimal_config()};

	(void)state;
	later.v1.size = sizeof(later);
	for (size_t i = 0; i < sizeof(later.tail); i++) {
		later.tail[i] = 1;
		assert_int_equal(load(&later.v1), E2BIG);
		later.tail[i] = 0x80;
		assert_int_equal(load(&later.v1), E2BIG);
		later.tail[i] = 0;
	}
	assert_int_equal(load(&later.v1), 0);
}

/* Only the tail up to size counts: a non-zero byte past it is not part of
 * the caller's struct. */
static void test_tail_beyond_size_ignored(void **state)
{
	struct later_config later = {.v1 = minimal_config()};

	(void)state;
	memset(later.tail, 0xaa, sizeof(later.tail));
	later.v1.size = sizeof(later.v1);
	assert_int_equal(load(&later.v1), 0);
	later.v1.size = sizeof(later.v1) + 8;
	memset(later.tail, 0, 8);
	assert_int_equal(load(&later.v1), 0);
	later.tail[7] = 1;
	assert_int_equal(load(&later.v1), E2BIG);
}

/* The largest size is a page, as clone3 bounds its own argument. */
static void test_size_bound(void **state)
{
	unsigned char *buf = calloc(1, 2 * CFE_CONFIG_SIZE_MAX);
	struct cfe_config *c = (struct cfe_config *)buf;
	const uint64_t too_big[] = {CFE_CONFIG_SIZE_MAX + 1, CFE_CONFIG_SIZE_MAX + 8, 1u << 20,
				    UINT64_MAX};

	(void)state;
	assert_non_null(buf);
	*c = minimal_config();
	c->size = CFE_CONFIG_SIZE_MAX;
	assert_int_equal(load(c), 0);
	buf[CFE_CONFIG_SIZE_MAX - 1] = 1;
	assert_int_equal(load(c), E2BIG);
	buf[CFE_CONFIG_SIZE_MAX - 1] = 0;
	for (size_t i = 0; i < sizeof(too_big) / sizeof(too_big[0]); i++) {
		c->size = too_big[i];
		assert_int_equal(load(c), E2BIG);
	}
	free(buf);
}

/* A struct of exactly CFE_CONFIG_SIZE_VER1 bytes that ends where readable
 * memory ends: nothing past size is read (a read would fault). */
static void test_nothing_read_past_size(void **state)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char *map =
	    mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct cfe_config *c;
	struct cfe_config full;
	struct cfe_config out;

	(void)state;
	assert_true(map != MAP_FAILED);
	assert_int_equal(mprotect(map + page, page, PROT_NONE), 0);
	c = (struct cfe_config *)(map + page - CFE_CONFIG_SIZE_VER1);
	full = full_config();
	full.flags &= ~(uint32_t)CFE_FLAG_CLOSE_OTHER_FDS;
	memcpy(c, &full, CFE_CONFIG_SIZE_VER1);
	c->size = CFE_CONFIG_SIZE_VER1;
	assert_int_equal(cfe_config_load(c, &out), 0);
	assert_memory_equal((const char *)&out + 8, (const char *)c + 8, CFE_CONFIG_SIZE_VER1 - 8);
	assert_null(out.pidfd_out);
	c = (struct cfe_config *)(map + page - CFE_CONFIG_SIZE_VER2);
	*c = full_config();
	assert_int_equal(cfe_config_load(c, &out), 0);
	assert_memory_equal(&out, c, sizeof(out));
	munmap(map, 2 * page);
}

static void test_clone_flags_masked(void **state)
{
	struct cfe_config c = minimal_config();
	struct cfe_config out;

	(void)state;
	c.clone_flags = UINT64_MAX;
	assert_int_equal(cfe_config_load(&c, &out), 0);
	assert_int_equal(out.clone_flags, CFE_UNSHARE_FLAGS);
	c.clone_flags = CLONE_VM | CLONE_VFORK | CLONE_FILES | CLONE_NEWTIME | CLONE_NEWPID |
			CLONE_NEWNET | (1ull << 40);
	assert_int_equal(cfe_config_load(&c, &out), 0);
	assert_int_equal(out.clone_flags, CLONE_NEWPID | CLONE_NEWNET);
}

/* ---- validation rules ---- */

struct rule {
	const char *name;
	void (*change)(struct cfe_config *c);
	int want;
};

static const char *const arg_then_null[] = {"/bin/true", NULL};
static const char *const env_then_null[] = {"A=1", NULL};
static const struct cfe_rlimit rlimit_second_pad[] = {{.resource = RLIMIT_CPU},
						      {.resource = RLIMIT_AS, .pad = 1}};
static const int32_t files_minus_two[] = {0, -2};
static const int32_t files_int32_min[] = {INT32_MIN};
static const int32_t files_closed[] = {-1, -1, 7};
static const struct cfe_bpf_insn big_filter[CFE_BPF_MAXINSNS + 1];
static const struct cfe_id_map map_pad[] = {{.size = 1}, {.container_id = 1, .size = 1, .pad = 1}};
static const uint32_t many_groups[CFE_GROUPS_MAX + 1];
static const struct cfe_id_map many_maps[CFE_ID_MAP_LINES_MAX + 1];
static const struct cfe_mount one_mount[] = {
    {.source = "none", .target = "/proc", .fstype = "proc"}};
static const struct cfe_mount mount_pad[] = {{.target = "/a"}, {.target = "/b", .pad = 1}};
static const struct cfe_mount mount_null_target[] = {{.target = "/a"}, {.source = "/b"}};
static const struct cfe_mount mount_nod_two[] = {{.target = "/a", .make_nod = 2}};
static const struct cfe_mount mount_nod_one[] = {{.target = "/a", .make_nod = 1}};

static void args_len_zero(struct cfe_config *c)
{
	c->args_len = 0;
}

static void args_null(struct cfe_config *c)
{
	c->args = NULL;
}

static void arg_entry_null(struct cfe_config *c)
{
	c->args = arg_then_null;
	c->args_len = 2;
}

static void null_past_args_len(struct cfe_config *c)
{
	c->args = arg_then_null;
	c->args_len = 1;
}

static void env_null_with_len(struct cfe_config *c)
{
	c->env = NULL;
	c->env_len = 1;
}

static void env_entry_null(struct cfe_config *c)
{
	c->env = env_then_null;
	c->env_len = 2;
}

static void env_given(struct cfe_config *c)
{
	c->env = env_then_null;
	c->env_len = 1;
}

static void exec_fd_negative(struct cfe_config *c)
{
	c->exec_fd = -1;
}

static void exec_fd_int32_min(struct cfe_config *c)
{
	c->exec_fd = INT32_MIN;
}

static void exec_fd_given(struct cfe_config *c)
{
	c->exec_fd = 3;
}

static void cgroup_fd_negative(struct cfe_config *c)
{
	c->cgroup_fd = -1;
}

static void cgroup_fd_given(struct cfe_config *c)
{
	c->cgroup_fd = 3;
}

static void pad0_set(struct cfe_config *c)
{
	c->pad0 = 1;
}

static void pad0_high_bit(struct cfe_config *c)
{
	c->pad0 = 0x80000000u;
}

static void pad1_set(struct cfe_config *c)
{
	c->pad1 = 1;
}

static void pad1_high_bit(struct cfe_config *c)
{
	c->pad1 = 0x80000000u;
}

static void rlimits_null_with_len(struct cfe_config *c)
{
	c->rlimits = NULL;
	c->rlimits_len = 1;
}

static void rlimit_pad_set(struct cfe_config *c)
{
	c->rlimits = rlimit_second_pad;
	c->rlimits_len = 2;
}

static void rlimit_pad_past_len(struct cfe_config *c)
{
	c->rlimits = rlimit_second_pad;
	c->rlimits_len = 1;
}

static void files_null_with_len(struct cfe_config *c)
{
	c->files = NULL;
	c->files_len = 1;
}

static void file_minus_two(struct cfe_config *c)
{
	c->files = files_minus_two;
	c->files_len = 2;
}

static void file_int32_min(struct cfe_config *c)
{
	c->files = files_int32_min;
	c->files_len = 1;
}

static void files_closing(struct cfe_config *c)
{
	c->files = files_closed;
	c->files_len = 3;
}

static void seccomp_without_len(struct cfe_config *c)
{
	c->seccomp = big_filter;
	c->seccomp_len = 0;
}

static void seccomp_len_without_filter(struct cfe_config *c)
{
	c->seccomp = NULL;
	c->seccomp_len = 1;
}

static void seccomp_too_long(struct cfe_config *c)
{
	c->seccomp = big_filter;
	c->seccomp_len = CFE_BPF_MAXINSNS + 1;
}

static void seccomp_longest(struct cfe_config *c)
{
	c->seccomp = big_filter;
	c->seccomp_len = CFE_BPF_MAXINSNS;
}

static void uid_maps_null_with_len(struct cfe_config *c)
{
	c->uid_maps = NULL;
	c->uid_maps_len = 1;
}

static void gid_maps_null_with_len(struct cfe_config *c)
{
	c->gid_maps = NULL;
	c->gid_maps_len = 1;
}

static void uid_map_pad_set(struct cfe_config *c)
{
	c->uid_maps = map_pad;
	c->uid_maps_len = 2;
}

static void gid_map_pad_set(struct cfe_config *c)
{
	c->gid_maps = map_pad;
	c->gid_maps_len = 2;
}

static void id_maps_given(struct cfe_config *c)
{
	c->uid_maps = map_pad;
	c->gid_maps = map_pad;
	c->uid_maps_len = 1;
	c->gid_maps_len = 1;
}

static void uid_maps_too_many(struct cfe_config *c)
{
	c->uid_maps = many_maps;
	c->uid_maps_len = CFE_ID_MAP_LINES_MAX + 1;
}

static void gid_maps_too_many(struct cfe_config *c)
{
	c->gid_maps = many_maps;
	c->gid_maps_len = CFE_ID_MAP_LINES_MAX + 1;
}

static void id_maps_most(struct cfe_config *c)
{
	c->uid_maps = many_maps;
	c->gid_maps = many_maps;
	c->uid_maps_len = CFE_ID_MAP_LINES_MAX;
	c->gid_maps_len = CFE_ID_MAP_LINES_MAX;
}

/* Refused before a string is read: the array need not be that long. */
static void args_len_above_kernel(struct cfe_config *c)
{
	c->args_len = CFE_ARG_STRINGS_MAX + 1;
}

static void env_len_above_kernel(struct cfe_config *c)
{
	c->env = one_arg;
	c->env_len = UINT32_MAX;
}

static void groups_null_with_len(struct cfe_config *c)
{
	c->groups = NULL;
	c->groups_len = 1;
}

static void groups_too_many(struct cfe_config *c)
{
	c->groups = many_groups;
	c->groups_len = CFE_GROUPS_MAX + 1;
}

static void groups_most(struct cfe_config *c)
{
	c->groups = many_groups;
	c->groups_len = CFE_GROUPS_MAX;
}

static void mounts_without_newns(struct cfe_config *c)
{
	c->mounts = one_mount;
	c->mounts_len = 1;
	c->pivot_root = NULL;
	c->clone_flags = CFE_UNSHARE_FLAGS & ~(uint64_t)CLONE_NEWNS;
}

static void mounts_with_newns(struct cfe_config *c)
{
	c->mounts = one_mount;
	c->mounts_len = 1;
	c->clone_flags = CLONE_NEWNS | CLONE_NEWUTS; /* the full config names a host */
}

static void pivot_root_without_newns(struct cfe_config *c)
{
	c->pivot_root = "/tmp";
	c->mounts_len = 0;
	c->clone_flags = CLONE_NEWUSER | CLONE_NEWPID;
}

static void pivot_root_with_newns(struct cfe_config *c)
{
	c->pivot_root = "/tmp";
	c->clone_flags = CLONE_NEWNS | CLONE_NEWUTS; /* the full config names a host */
}

/* The child enters pivot_root before pivoting: a relative path would name
 * something else there. */
static void pivot_root_relative(struct cfe_config *c)
{
	c->pivot_root = "tmp/root";
	c->clone_flags = CLONE_NEWNS;
}

static void names_without_newuts(struct cfe_config *c)
{
	c->hostname = "judge";
	c->clone_flags = CFE_UNSHARE_FLAGS & ~(uint64_t)CLONE_NEWUTS;
}

static void domainname_without_newuts(struct cfe_config *c)
{
	c->hostname = NULL;
	c->domainname = "example.org";
	c->clone_flags = CFE_UNSHARE_FLAGS & ~(uint64_t)CLONE_NEWUTS;
}

static void names_with_newuts(struct cfe_config *c)
{
	c->hostname = "judge";
	c->domainname = "example.org";
	c->clone_flags |= CLONE_NEWUTS;
}

static void pivot_root_slash(struct cfe_config *c)
{
	c->pivot_root = "/";
	c->clone_flags |= CLONE_NEWNS;
}

static void pivot_root_slash_dots(struct cfe_config *c)
{
	c->pivot_root = "//./..//.";
	c->clone_flags |= CLONE_NEWNS;
}

static void pivot_root_dot_names(struct cfe_config *c)
{
	c->pivot_root = "/.../..a/.b";
	c->clone_flags |= CLONE_NEWNS;
}

static void mounts_null_with_len(struct cfe_config *c)
{
	c->mounts = NULL;
	c->mounts_len = 1;
	c->clone_flags = CLONE_NEWNS;
}

static void mount_target_null(struct cfe_config *c)
{
	c->mounts = mount_null_target;
	c->mounts_len = 2;
	c->clone_flags = CLONE_NEWNS;
}

static void mount_pad_set(struct cfe_config *c)
{
	c->mounts = mount_pad;
	c->mounts_len = 2;
	c->clone_flags = CLONE_NEWNS;
}

static void mount_make_nod_two(struct cfe_config *c)
{
	c->mounts = mount_nod_two;
	c->mounts_len = 1;
	c->clone_flags = CLONE_NEWNS;
}

static void pad2_set(struct cfe_config *c)
{
	c->pad2 = 1;
}

static void pad2_high_bit(struct cfe_config *c)
{
	c->pad2 = 0x80000000u;
}

static void death_signal_negative(struct cfe_config *c)
{
	c->parent_death_signal = -1;
}

static void death_signal_int32_min(struct cfe_config *c)
{
	c->parent_death_signal = INT32_MIN;
}

static void death_signal_past_nsig(struct cfe_config *c)
{
	c->parent_death_signal = 65;
}

static void death_signal_int32_max(struct cfe_config *c)
{
	c->parent_death_signal = INT32_MAX;
}

static void death_signal_one(struct cfe_config *c)
{
	c->parent_death_signal = 1;
}

static void death_signal_kill(struct cfe_config *c)
{
	c->parent_death_signal = SIGKILL;
}

static void death_signal_nsig(struct cfe_config *c)
{
	c->parent_death_signal = 64;
}

static void death_signal_none(struct cfe_config *c)
{
	c->parent_death_signal = 0;
}

static int32_t some_pidfd;

static void pidfd_out_given(struct cfe_config *c)
{
	c->pidfd_out = &some_pidfd;
}

static void pidfd_out_null(struct cfe_config *c)
{
	c->pidfd_out = NULL;
}

static void close_other_fds(struct cfe_config *c)
{
	c->flags |= CFE_FLAG_CLOSE_OTHER_FDS;
}

static void mount_make_nod_one(struct cfe_config *c)
{
	c->mounts = mount_nod_one;
	c->mounts_len = 1;
	c->clone_flags = CLONE_NEWNS | CLONE_NEWUTS; /* the full config names a host */
}

/* Each refusal next to the nearest configuration that is accepted, so that
 * a rule that refuses too much fails as well as one that refuses too little. */
static const struct rule rules[] = {
    {"args_len 0", args_len_zero, EINVAL},
    {"args NULL", args_null, EINVAL},
    {"args entry NULL", arg_entry_null, EINVAL},
    {"NULL past args_len", null_past_args_len, 0},
    {"env NULL with env_len", env_null_with_len, EINVAL},
    {"env entry NULL", env_entry_null, EINVAL},
    {"env given", env_given, 0},
    {"exec_fd -1", exec_fd_negative, EINVAL},
    {"exec_fd INT32_MIN", exec_fd_int32_min, EINVAL},
    {"exec_fd 3", exec_fd_given, 0},
    {"cgroup_fd -1", cgroup_fd_negative, EINVAL},
    {"cgroup_fd 3", cgroup_fd_given, 0},
    {"pad0 1", pad0_set, EINVAL},
    {"pad0 high bit", pad0_high_bit, EINVAL},
    {"pad1 1", pad1_set, EINVAL},
    {"pad1 high bit", pad1_high_bit, EINVAL},
    {"rlimits NULL with len", rlimits_null_with_len, EINVAL},
    {"rlimit pad", rlimit_pad_set, EINVAL},
    {"rlimit pad past len", rlimit_pad_past_len, 0},
    {"files NULL with len", files_null_with_len, EINVAL},
    {"files entry -2", file_minus_two, EINVAL},
    {"files entry INT32_MIN", file_int32_min, EINVAL},
    {"files entries -1", files_closing, 0},
    {"seccomp without len", seccomp_without_len, EINVAL},
    {"seccomp_len without filter", seccomp_len_without_filter, EINVAL},
    {"seccomp_len 4097", seccomp_too_long, EINVAL},
    {"seccomp_len 4096", seccomp_longest, 0},
    {"uid_maps NULL with len", uid_maps_null_with_len, EINVAL},
    {"gid_maps NULL with len", gid_maps_null_with_len, EINVAL},
    {"uid_map pad", uid_map_pad_set, EINVAL},
    {"gid_map pad", gid_map_pad_set, EINVAL},
    {"id maps given", id_maps_given, 0},
    {"uid_maps_len 341", uid_maps_too_many, EINVAL},
    {"gid_maps_len 341", gid_maps_too_many, EINVAL},
    {"id maps of 340 lines", id_maps_most, 0},
    {"args_len above MAX_ARG_STRINGS", args_len_above_kernel, EINVAL},
    {"env_len above MAX_ARG_STRINGS", env_len_above_kernel, EINVAL},
    {"groups NULL with len", groups_null_with_len, EINVAL},
    {"groups_len 65537", groups_too_many, EINVAL},
    {"groups_len 65536", groups_most, 0},
    {"mounts without CLONE_NEWNS", mounts_without_newns, EINVAL},
    {"mounts with CLONE_NEWNS", mounts_with_newns, 0},
    {"pivot_root without CLONE_NEWNS", pivot_root_without_newns, EINVAL},
    {"pivot_root with CLONE_NEWNS", pivot_root_with_newns, 0},
    {"pivot_root relative", pivot_root_relative, EINVAL},
    {"pivot_root /", pivot_root_slash, EINVAL},
    {"pivot_root of dots and slashes", pivot_root_slash_dots, EINVAL},
    {"pivot_root of dotted names", pivot_root_dot_names, 0},
    {"hostname without CLONE_NEWUTS", names_without_newuts, EINVAL},
    {"domainname without CLONE_NEWUTS", domainname_without_newuts, EINVAL},
    {"names with CLONE_NEWUTS", names_with_newuts, 0},
    {"mounts NULL with len", mounts_null_with_len, EINVAL},
    {"mount target NULL", mount_target_null, EINVAL},
    {"mount pad", mount_pad_set, EINVAL},
    {"mount make_nod 2", mount_make_nod_two, EINVAL},
    {"mount make_nod 1", mount_make_nod_one, 0},
    {"pad2 1", pad2_set, EINVAL},
    {"pad2 high bit", pad2_high_bit, EINVAL},
    {"parent_death_signal -1", death_signal_negative, EINVAL},
    {"parent_death_signal INT32_MIN", death_signal_int32_min, EINVAL},
    {"parent_death_signal 65", death_signal_past_nsig, EINVAL},
    {"parent_death_signal INT32_MAX", death_signal_int32_max, EINVAL},
    {"parent_death_signal 1", death_signal_one, 0},
    {"parent_death_signal SIGKILL", death_signal_kill, 0},
    {"parent_death_signal 64", death_signal_nsig, 0},
    {"parent_death_signal 0", death_signal_none, 0},
    {"pidfd_out given", pidfd_out_given, 0},
    {"pidfd_out NULL", pidfd_out_null, 0},
    {"CFE_FLAG_CLOSE_OTHER_FDS", close_other_fds, 0},
};

static void check_rules(struct cfe_config (*base)(void), const char *base_name)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		struct cfe_config c = base();
		int got;

		rules[i].change(&c);
		got = load(&c);
		if (got != rules[i].want)
			fail_msg("%s config, %s: got %d, want %d", base_name, rules[i].name, got,
				 rules[i].want);
	}
}

/* Each rule on the smallest configuration, and on the fullest, where no
 * other field may hide a refusal or cause one. */
static void test_validation_rules(void **state)
{
	(void)state;
	assert_int_equal(load(&(struct cfe_config){0}), EINVAL);
	check_rules(minimal_config, "minimal");
	check_rules(full_config, "full");
}

static void test_unknown_flag_bits_refused(void **state)
{
	struct cfe_config c = minimal_config();

	(void)state;
	c.flags = CFE_FLAGS_KNOWN;
	assert_int_equal(load(&c), 0);
	for (uint32_t bit = 0; bit < 32; bit++) {
		int want = (CFE_FLAGS_KNOWN >> bit) & 1 ? 0 : EINVAL;
		int got;

		c.flags = 1u << bit;
		got = load(&c);
		if (got != want)
			fail_msg("flag bit %u: got %d, want %d", bit, got, want);
	}
}

static void test_files_len_bound(void **state)
{
	int32_t *files = calloc(CFE_FILES_MAX + 1, sizeof(*files));
	struct cfe_config c = minimal_config();

	(void)state;
	assert_non_null(files);
	assert_int_equal(CFE_FILES_MAX, 1u << 20);
	c.files = files;
	c.files_len = CFE_FILES_MAX;
	assert_int_equal(load(&c), 0);
	c.files_len = CFE_FILES_MAX + 1;
	assert_int_equal(load(&c), EINVAL);
	c.files_len = UINT32_MAX;
	assert_int_equal(load(&c), EINVAL);
	free(files);
}

/* A string of len 'x's, then the NUL. */
static char *path_of_length(size_t len)
{
	char *s = malloc(len + 1);

	assert_non_null(s);
	memset(s, 'x', len);
	s[len] = '\0';
	return s;
}

/* Loads a configuration with mounts on targets t0, t1, t2; the middle
 * mount has source and data other. */
static int load_mounts(const char *t0, const char *t1, const char *t2, const char *other)
{
	const struct cfe_mount mounts[3] = {
	    {.target = t0}, {.source = other, .target = t1, .data = other}, {.target = t2}};
	struct cfe_config c = minimal_config();

	c.mounts = mounts;
	c.mounts_len = 3;
	c.clone_flags = CLONE_NEWNS;
	return load(&c);
}

/* The child builds a target's parent directories in a CFE_PATH_MAX buffer:
 * 4095 bytes and the NUL fit, 4096 do not. */
static void test_mount_target_length(void **state)
{
	char *longest = path_of_length(CFE_PATH_MAX - 1);
	char *too_long = path_of_length(CFE_PATH_MAX);
	char *much_too_long = path_of_length(3 * CFE_PATH_MAX);

	(void)state;
	assert_int_equal(load_mounts("/a", "/b", "/c", NULL), 0);
	assert_int_equal(load_mounts(longest, "/b", longest, NULL), 0);
	assert_int_equal(load_mounts(longest, "/b", too_long, NULL), ENAMETOOLONG);
	assert_int_equal(load_mounts("/a", "/b", much_too_long, NULL), ENAMETOOLONG);
	assert_int_equal(load_mounts(too_long, "/b", "/c", NULL), ENAMETOOLONG);
	/* the other strings have no such limit */
	assert_int_equal(load_mounts("/a", "/b", "/c", much_too_long), 0);
	free(longest);
	free(too_long);
	free(much_too_long);
}

/* ---- stops and handshake ---- */

/* Every combination of what decides them, with and without every other
 * flag and namespace, which must not matter. */
static void test_stops_and_handshake_truth_table(void **state)
{
	(void)state;
	for (unsigned bits = 0; bits < 128; bits++) {
		int stop = bits & 1, ptrace = (bits >> 1) & 1, filter = (bits >> 2) & 1;
		int newuser = (bits >> 3) & 1, sync = (bits >> 4) & 1, noise = (bits >> 5) & 1;
		int early = (bits >> 6) & 1;
		struct cfe_config c = minimal_config();
		int want_stops = stop || (ptrace && filter);
		int want_pending = want_stops || early;
		int want_handshake = newuser || sync || want_pending;
		/* noise brings CLONE_NEWPID: the child is its namespace's init */
		int want_parent_stops = stop && noise && !(ptrace && filter);

		if (noise) {
			c.flags = CFE_FLAGS_KNOWN &
				  ~(uint32_t)(CFE_FLAG_STOP_BEFORE_SECCOMP | CFE_FLAG_PTRACE |
					      CFE_FLAG_RETURN_BEFORE_EXEC);
			c.clone_flags = CFE_UNSHARE_FLAGS & ~(uint64_t)CLONE_NEWUSER;
			c.uid_maps = full_uid_maps;
			c.uid_maps_len = 1;
			c.cgroup_fd = 5;
		}
		if (stop)
			c.flags |= CFE_FLAG_STOP_BEFORE_SECCOMP;
		if (ptrace)
			c.flags |= CFE_FLAG_PTRACE;
		if (early)
			c.flags |= CFE_FLAG_RETURN_BEFORE_EXEC;
		if (filter) {
			c.seccomp = full_seccomp;
			c.seccomp_len = 3;
		}
		if (newuser)
			c.clone_flags |= CLONE_NEWUSER;
		if (sync)
			c.sync_fn = sync_ok;
		if ((cfe_config_stops(&c) != 0) != want_stops ||
		    (cfe_config_returns_pending(&c) != 0) != want_pending ||
		    (cfe_config_needs_handshake(&c) != 0) != want_handshake ||
		    (cfe_config_parent_stops(&c) != 0) != want_parent_stops)
			fail_msg(
			    "stop=%d ptrace=%d seccomp=%d newuser=%d sync=%d noise=%d early=%d: "
			    "stops %d pending %d handshake %d parent stops %d",
			    stop, ptrace, filter, newuser, sync, noise, early, cfe_config_stops(&c),
			    cfe_config_returns_pending(&c), cfe_config_needs_handshake(&c),
			    cfe_config_parent_stops(&c));
	}
}

/* ---- the arena (plan.c) ---- */

static void assert_in_data(const struct cfe_arena *a, const void *p, size_t len)
{
	uintptr_t lo = (uintptr_t)a->stack + a->stack_size;
	uintptr_t hi = (uintptr_t)a->base + a->size;
	uintptr_t q = (uintptr_t)p;

	assert_non_null(p);
	if (q < lo || q > hi || len > hi - q)
		fail_msg("%p+%zu outside the arena's data [%p, %p)", p, len, (void *)lo,
			 (void *)hi);
}

static void assert_copied_string(const struct cfe_arena *a, const char *copy, const char *orig)
{
	if (orig == NULL) {
		assert_null(copy);
		return;
	}
	assert_in_data(a, copy, strlen(orig) + 1);
	assert_ptr_not_equal(copy, orig);
	assert_string_equal(copy, orig);
}

static void assert_copied_strv(const struct cfe_arena *a, char *const *copy,
			       const char *const *orig, uint32_t n)
{
	assert_in_data(a, copy, ((size_t)n + 1) * sizeof(*copy));
	for (uint32_t i = 0; i < n; i++)
		assert_copied_string(a, copy[i], orig[i]);
	assert_null(copy[n]);
}

static void assert_copied_array(const struct cfe_arena *a, const void *copy, const void *orig,
				size_t size)
{
	assert_in_data(a, copy, size);
	if (size > 0) {
		assert_ptr_not_equal(copy, orig);
		assert_memory_equal(copy, orig, size);
	}
}

/* The fds of a start as cfe_fds_open would leave them, made up: numbers
 * that are not open, so they must only be copied, never used.  Each entry
 * that needs parking gets a distinct parked number. */
static struct cfe_fds fake_fds(const struct cfe_config *c, int32_t child_sock, int32_t parent_sock,
			       int32_t exec_fd)
{
	struct cfe_fds f = {.child_sock = child_sock,
			    .parent_sock = parent_sock,
			    .exec_fd = exec_fd,
			    .exec_fd_copy = -1};
	uint32_t count = 0;

	for (uint32_t i = 0; i < c->files_len; i++)
		count += cfe_fd_needs_park(c->files, i) ? 1 : 0;
	if (count == 0)
		return f;
	f.parked = calloc(count, sizeof(*f.parked));
	assert_non_null(f.parked);
	for (uint32_t k = 0; k < count; k++)
		f.parked[k] = (int32_t)(c->files_len + 1000 + 3 * k);
	f.parked_len = count;
	return f;
}

/* The shuffle in the plan is the one cfe_fd_plan makes from the files and
 * the parked copies of fds: one op per entry. */
static void assert_plan_fd_ops(const struct cfe_arena *a, const struct cfe_config *c,
			       const struct cfe_fds *fds)
{
	const struct cfe_child_plan *p = a->plan;
	struct cfe_fd_op *ops = calloc((size_t)c->files_len + 1, sizeof(*ops));
	uint32_t parked = 0;

	assert_non_null(ops);
	assert_int_equal(p->fd_ops_len, c->files_len);
	cfe_fd_plan(c->files, c->files_len, fds->parked, ops);
	assert_copied_array(a, p->fd_ops, ops, c->files_len * sizeof(*ops));
	for (uint32_t i = 0; i < c->files_len; i++) {
		if (!cfe_fd_needs_park(c->files, i))
			continue;
		assert_true(parked < fds->parked_len);
		assert_int_equal(p->fd_ops[i].kind, CFE_FD_DUP);
		assert_int_equal(p->fd_ops[i].from, fds->parked[parked]);
		assert_int_equal(p->fd_ops[i].to, i);
		parked++;
	}
	assert_int_equal(parked, fds->parked_len);
	free(ops);
}

/* Every part of the plan is a copy of c, inside the arena, above the
 * stack; the fds are those of fds. */
static void assert_plan_copies(const struct cfe_arena *a, const struct cfe_config *c,
			       const struct cfe_fds *fds, uint64_t sigmask)
{
	const struct cfe_child_plan *p = a->plan;
	const struct cfe_error zero = {0};

	assert_in_data(a, p, sizeof(*p));
	assert_copied_strv(a, p->argv, c->args, c->args_len);
	assert_copied_strv(a, p->envp, c->env, c->env_len);
	assert_ptr_equal(p->path, p->argv[0]);
	assert_int_equal(p->sock, fds->child_sock);
	assert_int_equal(p->parent_sock, fds->parent_sock);
	assert_int_equal(p->exec_fd, fds->exec_fd);
	assert_int_equal(p->flags, c->flags);
	assert_int_equal(p->clone_flags, c->clone_flags);
	assert_int_equal(p->has_sync, c->sync_fn != NULL);
	assert_int_equal(p->uid, c->uid);
	assert_int_equal(p->gid, c->gid);
	assert_int_equal(p->groups_len, c->groups_len);
	assert_copied_array(a, p->groups, c->groups, c->groups_len * sizeof(*c->groups));
	assert_plan_fd_ops(a, c, fds);

	assert_int_equal(p->mounts_len, c->mounts_len);
	assert_in_data(a, p->mounts, c->mounts_len * sizeof(*p->mounts));
	for (uint32_t i = 0; i < c->mounts_len; i++) {
		assert_copied_string(a, p->mounts[i].source, c->mounts[i].source);
		assert_copied_string(a, p->mounts[i].target, c->mounts[i].target);
		assert_copied_string(a, p->mounts[i].fstype, c->mounts[i].fstype);
		assert_copied_string(a, p->mounts[i].data, c->mounts[i].data);
		assert_int_equal(p->mounts[i].flags, c->mounts[i].flags);
		assert_int_equal(p->mounts[i].make_nod, c->mounts[i].make_nod);
	}
	assert_copied_string(a, p->pivot_root, c->pivot_root);
	assert_copied_string(a, p->hostname, c->hostname);
	assert_copied_string(a, p->domainname, c->domainname);
	assert_int_equal(p->hostname_len, c->hostname ? strlen(c->hostname) : 0);
	assert_int_equal(p->domainname_len, c->domainname ? strlen(c->domainname) : 0);
	assert_copied_string(a, p->workdir, c->workdir);
	assert_int_equal(p->rlimits_len, c->rlimits_len);
	assert_copied_array(a, p->rlimits, c->rlimits, c->rlimits_len * sizeof(*c->rlimits));
	assert_int_equal(p->seccomp.len, c->seccomp_len);
	if (c->seccomp_len > 0)
		assert_copied_array(a, p->seccomp.filter, c->seccomp,
				    c->seccomp_len * sizeof(*c->seccomp));
	assert_int_equal(p->sigmask, sigmask);
	assert_in_data(a, p->error, sizeof(*p->error));
	assert_memory_equal(p->error, &zero, sizeof(zero));
}

static void assert_arena_shape(const struct cfe_arena *a)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	assert_non_null(a->base);
	assert_int_equal((uintptr_t)a->base % page, 0);
	assert_int_equal(a->size % page, 0);
	assert_ptr_equal(a->stack, (char *)a->base + page);
	/* room for the child's CFE_PATH_MAX buffer with frames around it */
	assert_true(a->stack_size >= 4 * CFE_PATH_MAX);
	assert_int_equal(((uintptr_t)a->stack + a->stack_size) % 16, 0);
	assert_true((char *)a->stack + a->stack_size <= (char *)a->base + a->size);
}

static int kernel_cap_last(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int v = -1;

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &v), 1);
	fclose(f);
	return v;
}

static void test_arena_copies_full_config(void **state)
{
	struct cfe_config c = full_config();
	struct cfe_config loaded;
	struct cfe_fds fds;
	struct cfe_arena a;

	(void)state;
	assert_int_equal(cfe_config_load(&c, &loaded), 0);
	/* exec_fd as a copy would have it, unlike the configuration's */
	fds = fake_fds(&loaded, 7, 8, 41);
	assert_int_equal(fds.parked_len, 1);
	assert_int_equal(cfe_arena_create(&a, &loaded, &fds, 0x8000000000000001ull), 0);
	assert_arena_shape(&a);
	assert_plan_copies(&a, &loaded, &fds, 0x8000000000000001ull);
	assert_int_equal(a.plan->exec_fd, 41);
	/* It drops capabilities: the bounding set up to the kernel's last. */
	assert_int_equal(a.plan->cap_last, kernel_cap_last());
	cfe_arena_destroy(&a);
	assert_null(a.base);
	cfe_arena_destroy(&a);
	free(fds.parked);
}

/* Under CLONE_VFORK there is no socket; no env still makes an envp. */
static void test_arena_minimal_config(void **state)
{
	struct cfe_config c = minimal_config();
	const struct cfe_fds fds = fake_fds(&c, -1, -1, 0);
	struct cfe_arena a;

	(void)state;
	assert_null(fds.parked);
	assert_int_equal(cfe_arena_create(&a, &c, &fds, 0), 0);
	assert_arena_shape(&a);
	assert_plan_copies(&a, &c, &fds, 0);
	assert_int_equal(a.plan->sock, -1);
	assert_int_equal(a.plan->parent_sock, -1);
	assert_int_equal(a.plan->exec_fd, 0);
	assert_int_equal(a.plan->fd_ops_len, 0);
	assert_non_null(a.plan->envp);
	assert_null(a.plan->envp[0]);
	assert_int_equal(a.plan->seccomp.len, 0);
	assert_int_equal(a.plan->cap_last, -1);
	cfe_arena_destroy(&a);
}

/* The plan must not depend on the caller's memory after the start. */
static void test_arena_independent_of_caller(void **state)
{
	char arg[] = "/bin/true";
	char target[] = "/mnt";
	const char *args[] = {arg};
	struct cfe_mount mounts[] = {{.target = target}};
	struct cfe_config c = minimal_config();
	struct cfe_fds fds;
	struct cfe_arena a;

	(void)state;
	c.args = args;
	c.mounts = mounts;
	c.mounts_len = 1;
	c.clone_flags = CLONE_NEWNS;
	fds = fake_fds(&c, 3, 4, 0);
	assert_int_equal(cfe_arena_create(&a, &c, &fds, 0), 0);
	memset(arg, 'z', sizeof(arg) - 1);
	memset(target, 'z', sizeof(target) - 1);
	mounts[0].target = NULL;
	args[0] = NULL;
	assert_string_equal(a.plan->path, "/bin/true");
	assert_string_equal(a.plan->argv[0], "/bin/true");
	assert_string_equal(a.plan->mounts[0].target, "/mnt");
	cfe_arena_destroy(&a);
}

/* The largest lists the configuration accepts: what was measured must be
 * what is copied. */
static void test_arena_largest_config(void **state)
{
	enum { STRINGS = 1000, MOUNTS = 8, FILES = 64 };
	char *longest = path_of_length(CFE_PATH_MAX - 1);
	const char **strings = calloc(STRINGS, sizeof(*strings));
	struct cfe_mount *mounts = calloc(MOUNTS, sizeof(*mounts));
	struct cfe_bpf_insn *filter = calloc(CFE_BPF_MAXINSNS, sizeof(*filter));
	uint32_t *groups = calloc(CFE_GROUPS_MAX, sizeof(*groups));
	int32_t files[FILES];
	struct cfe_config c = minimal_config();
	struct cfe_fds fds;
	struct cfe_arena a;

	(void)state;
	assert_true(strings && mounts && filter && groups);
	longest[0] = '/'; /* pivot_root must be absolute */
	for (size_t i = 0; i < STRINGS; i++)
		strings[i] = i % 2 ? longest : "x";
	for (size_t i = 0; i < MOUNTS; i++)
		mounts[i] = (struct cfe_mount){
		    .source = longest, .target = longest, .fstype = "tmpfs", .data = longest};
	for (size_t i = 0; i < CFE_BPF_MAXINSNS; i++)
		filter[i] = (struct cfe_bpf_insn){.code = (uint16_t)i, .k = (uint32_t)i};
	for (size_t i = 0; i < CFE_GROUPS_MAX; i++)
		groups[i] = (uint32_t)i;
	for (int32_t i = 0; i < FILES; i++)
		files[i] = FILES - 1 - i;
	c.args = strings;
	c.args_len = STRINGS;
	c.env = strings;
	c.env_len = STRINGS;
	c.mounts = mounts;
	c.mounts_len = MOUNTS;
	c.clone_flags = CLONE_NEWNS | CLONE_NEWUTS;
	c.seccomp = filter;
	c.seccomp_len = CFE_BPF_MAXINSNS;
	c.groups = groups;
	c.groups_len = CFE_GROUPS_MAX;
	c.files = files;
	c.files_len = FILES;
	c.pivot_root = longest;
	c.workdir = longest;
	c.hostname = longest;
	c.domainname = longest;
	assert_int_equal(load(&c), 0);
	fds = fake_fds(&c, FILES + 1, 6, 0);
	assert_int_equal(fds.parked_len, FILES / 2);
	assert_int_equal(cfe_arena_create(&a, &c, &fds, 0), 0);
	assert_arena_shape(&a);
	assert_plan_copies(&a, &c, &fds, 0);
	cfe_arena_destroy(&a);
	free(fds.parked);
	free(longest);
	free(strings);
	free(mounts);
	free(filter);
	free(groups);
}

/* The two runs of one string through the arena's copier: measured as
 * first, copied after it became second, into a buffer whose bytes past the
 * measured size must stay untouched.  Returns the copy. */
#define BUMP_CANARY 0xa5
static const char *bump_twice(const char *first, const char *second, size_t max, char *buf,
			      size_t cap, size_t *measured)
{
	size_t lens[1];
	struct cfe_bump measure = {.lens = lens, .lens_cap = 1};
	struct cfe_bump fill = {.base = buf, .lens = lens, .lens_cap = 1};
	const char *copy;

	memset(buf, BUMP_CANARY, cap);
	assert_null(cfe_bump_strdup(&measure, first, max));
	assert_true(measure.used < cap);
	copy = cfe_bump_strdup(&fill, second, max);
	assert_int_equal(fill.used, measure.used);
	for (size_t i = measure.used; i < cap; i++)
		if ((unsigned char)buf[i] != BUMP_CANARY)
			fail_msg("byte %zu past the %zu measured was written", i, measure.used);
	*measured = measure.used;
	return copy;
}

/* A string the caller changes between the measuring and the copying run
 * (another thread, say) is copied with the length first measured: longer,
 * it is cut and still NUL-terminated; shorter, it is copied up to its NUL
 * and padded. */
static void test_arena_string_changed_between_runs(void **state)
{
	char buf[64];
	size_t measured;
	const char *copy;

	(void)state;
	copy = bump_twice("/short", "/a/much/longer/target", CFE_PATH_MAX - 1, buf, sizeof(buf),
			  &measured);
	assert_int_equal(measured, sizeof("/short"));
	assert_string_equal(copy, "/a/muc");

	copy = bump_twice("/a/longer/one", "/a", SIZE_MAX, buf, sizeof(buf), &measured);
	assert_int_equal(measured, sizeof("/a/longer/one"));
	assert_string_equal(copy, "/a");
	for (size_t i = 2; i < measured; i++)
		assert_int_equal(copy[i], '\0');

	copy = bump_twice(NULL, "/now/set", SIZE_MAX, buf, sizeof(buf), &measured);
	assert_int_equal(measured, 0);
	assert_null(copy);

	copy = bump_twice("/was/set", NULL, SIZE_MAX, buf, sizeof(buf), &measured);
	assert_int_equal(measured, sizeof("/was/set"));
	assert_string_equal(copy, "");
}

/* A target that grew past what config.c checked is cut at
 * CFE_PATH_MAX - 1 bytes: the child's buffer holds it. */
static void test_arena_target_bounded(void **state)
{
	char *longer = path_of_length(CFE_PATH_MAX + 100);
	char *buf = malloc(2 * CFE_PATH_MAX);
	size_t measured;
	const char *copy;

	(void)state;
	assert_non_null(buf);
	copy = bump_twice(longer, longer, CFE_PATH_MAX - 1, buf, 2 * CFE_PATH_MAX, &measured);
	assert_int_equal(measured, CFE_PATH_MAX);
	assert_int_equal(strlen(copy), CFE_PATH_MAX - 1);
	assert_memory_equal(copy, longer, CFE_PATH_MAX - 1);
	free(buf);
	free(longer);
}

/* Whether [start, end) is mapped with exactly perms ("---p", "rw-p"). */
static int range_has_perms(uintptr_t start, uintptr_t end, const char *perms)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char *line = NULL;
	size_t cap = 0;
	uintptr_t cursor = start;

	assert_non_null(f);
	while (cursor < end && getline(&line, &cap, f) > 0) {
		unsigned long lo, hi;
		char p[8];

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, p) != 3)
			continue;
		if (lo <= cursor && cursor < hi) {
			if (strcmp(p, perms) != 0)
				break;
			cursor = hi;
		}
	}
	free(line);
	fclose(f);
	return cursor >= end;
}

/* A child overflowing its stack must fault on the guard page, not write
 * into the mapping below. */
static void test_arena_guard_page(void **state)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct cfe_config c = full_config();
	struct cfe_config loaded;
	struct cfe_fds fds;
	struct cfe_arena a;
	uintptr_t base;

	(void)state;
	assert_int_equal(cfe_config_load(&c, &loaded), 0);
	fds = fake_fds(&loaded, 5, 6, 9);
	assert_int_equal(cfe_arena_create(&a, &loaded, &fds, 0), 0);
	free(fds.parked);
	base = (uintptr_t)a.base;
	assert_true(range_has_perms(base, base + page, "---p"));
	assert_true(range_has_perms(base + page, base + a.size, "rw-p"));
	cfe_arena_destroy(&a);
	/* Kept for a later start (arena_pool.c) or unmapped: empty the pool
	 * so that it is unmapped now either way. */
	for (void *kept; (kept = cfe_arena_pool_take()) != NULL;)
		munmap(kept, a.size);
	assert_false(range_has_perms(base, base + page, "---p") &&
		     range_has_perms(base + page, base + a.size, "rw-p"));
}

/* SPEC §3 step 5: setgroups is skipped with NoSetGroups, and when gid maps
 * are given, setgroups is not enabled and the group list is empty. */
static void test_arena_setgroups_rule(void **state)
{
	const struct {
		uint32_t flags;
		int gid_maps;
		uint32_t groups_len;
		int want;
	} cases[] = {
	    {0, 0, 0, 0},
	    {0, 1, 3, 0},
	    {CFE_FLAG_CREDENTIAL, 0, 0, 1},
	    {CFE_FLAG_CREDENTIAL, 0, 3, 1},
	    {CFE_FLAG_CREDENTIAL | CFE_FLAG_NO_SETGROUPS, 0, 3, 0},
	    {CFE_FLAG_CREDENTIAL | CFE_FLAG_NO_SETGROUPS, 1, 3, 0},
	    {CFE_FLAG_CREDENTIAL, 1, 0, 0},
	    {CFE_FLAG_CREDENTIAL, 1, 3, 1},
	    {CFE_FLAG_CREDENTIAL | CFE_FLAG_GID_MAPPINGS_ENABLE_SETGROUPS, 1, 0, 1},
	    {CFE_FLAG_CREDENTIAL | CFE_FLAG_GID_MAPPINGS_ENABLE_SETGROUPS, 0, 0, 1},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cfe_config c = minimal_config();
		struct cfe_fds fds;
		struct cfe_arena a;

		c.flags = cases[i].flags;
		c.clone_flags = CLONE_NEWUSER;
		if (cases[i].gid_maps) {
			c.gid_maps = full_gid_maps;
			c.gid_maps_len = 2;
		}
		c.groups = full_groups;
		c.groups_len = cases[i].groups_len;
		assert_int_equal(load(&c), 0);
		fds = fake_fds(&c, 3, 4, 0);
		assert_int_equal(cfe_arena_create(&a, &c, &fds, 0), 0);
		if (a.plan->do_setgroups != cases[i].want)
			fail_msg("case %zu: do_setgroups %d, want %d", i, a.plan->do_setgroups,
				 cases[i].want);
		cfe_arena_destroy(&a);
	}
}

const struct CMUnitTest config_tests[] = {
    cmocka_unit_test(test_null_config_refused),
    cmocka_unit_test(test_size_ver2_reads_every_field),
    cmocka_unit_test(test_size_ver1_reads_new_fields_as_zero),
    cmocka_unit_test(test_smaller_size_refused),
    cmocka_unit_test(test_larger_size_with_zero_tail_accepted),
    cmocka_unit_test(test_larger_size_with_nonzero_tail_refused),
    cmocka_unit_test(test_tail_beyond_size_ignored),
    cmocka_unit_test(test_size_bound),
    cmocka_unit_test(test_nothing_read_past_size),
    cmocka_unit_test(test_clone_flags_masked),
    cmocka_unit_test(test_validation_rules),
    cmocka_unit_test(test_unknown_flag_bits_refused),
    cmocka_unit_test(test_files_len_bound),
    cmocka_unit_test(test_mount_target_length),
    cmocka_unit_test(test_stops_and_handshake_truth_table),
    cmocka_unit_test(test_arena_copies_full_config),
    cmocka_unit_test(test_arena_minimal_config),
    cmocka_unit_test(test_arena_independent_of_caller),
    cmocka_unit_test(test_arena_largest_config),
    cmocka_unit_test(test_arena_guard_page),
    cmocka_unit_test(test_arena_setgroups_rule),
    cmocka_unit_test(test_arena_string_changed_between_runs),
    cmocka_unit_test(test_arena_target_bounded),
};
const size_t config_tests_len = sizeof(config_tests) / sizeof(config_tests[0]);

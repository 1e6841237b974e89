/*
 * Malformed configurations, one table.  Every row is refused with an error
 * that names what is wrong: EINVAL, E2BIG or ENAMETOOLONG at location none
 * for a configuration the library cannot take, or the step of the child
 * that fails on it (the reference's ChildError) with its errno and index.
 * A refusal at location none starts no process at all (no SIGCHLD comes);
 * a row that reaches a child leaves none behind.  The whole table, run
 * twice (the first run fills the library's arena pool and malloc's
 * caches), leaves the fds, the mappings and the C heap as they were.
 *
 * Not here yet, being added on another branch: hostname or domainname
 * without CLONE_NEWUTS, pivot_root "/", a stopping child with
 * CLONE_NEWPID, an fd of files equal to one the library creates, and
 * RLIMIT_NOFILE too low for the library's copies (EMFILE).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <malloc.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "children.h"
#include "support.h"

#define PATH_BUF 256
/* The kernel takes up to 340 lines of a uid_map or gid_map. */
#define ID_MAP_LINES_MAX 340
#define GROUPS_MAX	 65536
#define FILES_MAX	 (1u << 20)
#define MAX_ARG_STRINGS	 0x7fffffffu
#define LONG_PATH	 (64 * 1024)
/* A hang fails the suite (SIGALRM's default action ends it). */
#define TABLE_TIMEOUT_S 120

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* What a row may point at besides constants: fds opened for the run. */
struct bad_env {
	int closed_fd; /* a number no fd has */
	int file_fd;   /* a regular file, read-only */
	int dir_fd;    /* the root directory */
	int devnull;
};

/* ---- data the rows point at ---- */

static const char *const exit0_args[] = {NULL, "--exit", "0"};
static const char *const args_null_second[] = {"/bin/true", NULL};
static const char *const empty_program[] = {""};
static const char *const env_null_first[] = {NULL};
static const struct cfe_rlimit rlimit_padded[] = {{.resource = RLIMIT_CPU, .cur = 1, .max = 1},
						  {.resource = RLIMIT_AS, .pad = 1}};
static const struct cfe_rlimit rlimit_cur_above_max[] = {
    {.resource = RLIMIT_NOFILE, .cur = 2, .max = 1}};
static const struct cfe_rlimit rlimit_third_cur_above_max[] = {
    {.resource = RLIMIT_CPU, .cur = 10, .max = 10},
    {.resource = RLIMIT_FSIZE, .cur = 1 << 20, .max = 1 << 20},
    {.resource = RLIMIT_STACK, .cur = 1 << 24, .max = 1 << 23}};
static const struct cfe_rlimit rlimit_nlimits[] = {{.resource = RLIM_NLIMITS, .cur = 1, .max = 1}};
static const struct cfe_rlimit rlimit_resource_max[] = {
    {.resource = UINT32_MAX, .cur = 1, .max = 1}};
static const struct cfe_rlimit rlimit_nofile_huge[] = {
    {.resource = RLIMIT_NOFILE, .cur = 1u << 30, .max = 1u << 30}};
static const int32_t files_minus_two[] = {0, 1, -2};
static const int32_t files_int32_min[] = {INT32_MIN};
static const int32_t files_int32_max[] = {0, 1, 2, INT32_MAX};
static const struct cfe_bpf_insn allow_all[] = {{.code = BPF_RET | BPF_K, .k = 0x7fff0000}};
static const struct cfe_bpf_insn garbage_opcode[] = {{.code = 0xffff, .k = 0xdeadbeef},
						     {.code = BPF_RET | BPF_K, .k = 0x7fff0000}};
static const struct cfe_bpf_insn no_return[] = {{.code = BPF_LD | BPF_W | BPF_ABS, .k = 0}};
static const struct cfe_bpf_insn jump_past_end[] = {
    {.code = BPF_JMP | BPF_JEQ | BPF_K, .jt = 5, .jf = 0, .k = 0},
    {.code = BPF_RET | BPF_K, .k = 0x7fff0000}};
static const struct cfe_bpf_insn load_past_data[] = {{.code = BPF_LD | BPF_W | BPF_ABS, .k = 4096},
						     {.code = BPF_RET | BPF_K, .k = 0x7fff0000}};
static const struct cfe_bpf_insn divide_by_zero[] = {{.code = BPF_ALU | BPF_DIV | BPF_K, .k = 0},
						     {.code = BPF_RET | BPF_K, .k = 0x7fff0000}};
static const struct cfe_id_map id_map_padded[] = {{.size = 1, .pad = 1}};
static const struct cfe_id_map id_map_size_zero[] = {{.container_id = 0, .host_id = 0, .size = 0}};
static const struct cfe_id_map id_maps_overlapping_inside[] = {
    {.container_id = 0, .host_id = 0, .size = 10}, {.container_id = 5, .host_id = 100, .size = 10}};
static const struct cfe_id_map id_maps_overlapping_outside[] = {
    {.container_id = 0, .host_id = 0, .size = 10}, {.container_id = 100, .host_id = 5, .size = 10}};
static const struct cfe_id_map id_map_wrapping[] = {
    {.container_id = 1, .host_id = 0, .size = UINT32_MAX}};
static const struct cfe_id_map id_map_host_minus_one[] = {
    {.container_id = 0, .host_id = UINT32_MAX, .size = 1}};
static const uint32_t group_minus_one[] = {UINT32_MAX};
static const struct cfe_mount mount_tmpfs[] = {
    {.source = "tmpfs", .target = "/tmp", .fstype = "tmpfs"}};
static const struct cfe_mount mount_untargeted[] = {{.source = "tmpfs", .fstype = "tmpfs"}};
static const struct cfe_mount mount_second_untargeted[] = {
    {.source = "tmpfs", .target = "/tmp", .fstype = "tmpfs"}, {.source = "/tmp", .flags = MS_BIND}};
static const struct cfe_mount mount_padded[] = {{.target = "/tmp", .pad = 1}};
static const struct cfe_mount mount_make_nod_two[] = {{.target = "/tmp/f", .make_nod = 2}};
static const struct cfe_mount mount_empty_target[] = {
    {.source = "tmpfs", .target = "", .fstype = "tmpfs"}};
static const struct cfe_mount mount_unknown_fstype[] = {
    {.source = "none", .target = "/tmp", .fstype = "cforkexec-no-such-fs"}};
static const struct cfe_mount mount_second_missing_source[] = {
    {.source = "tmpfs", .target = "/tmp", .fstype = "tmpfs"},
    {.source = "/nonexistent-cforkexec-badinput", .target = "/tmp/a", .flags = MS_BIND}};

/* Filled once by prepare_data (the table runs twice: nothing is allocated). */
static uint32_t groups_65537[GROUPS_MAX + 1];
static struct cfe_id_map id_maps_341[ID_MAP_LINES_MAX + 1];
static struct cfe_bpf_insn filter_4097[4097];
static struct cfe_bpf_insn loads_4096[4096]; /* no return */
static char path_4096[4097];		     /* strlen 4096 */
static char path_64k[LONG_PATH + 1];
static char name_too_long[PATH_BUF + 64]; /* a component of 300 bytes */
static struct cfe_mount mount_target_4096[1];
static struct cfe_mount mount_target_64k[1];
static struct cfe_mount mount_name_too_long[1];
static int32_t files_closed_parked[PATH_BUF];
static uint32_t files_closed_parked_len;
static int32_t files_below_closed_exec_fd[PATH_BUF];
static int32_t files_closed_above[4];
static int32_t files_devnull[3];

static void fill_path(char *buf, size_t len)
{
	memset(buf, 'a', len);
	for (size_t i = 0; i < len; i += 200)
		buf[i] = '/';
	buf[len] = '\0';
}

static void prepare_data(const struct bad_env *env)
{
	for (uint32_t i = 0; i <= ID_MAP_LINES_MAX; i++)
		id_maps_341[i] = (struct cfe_id_map){.container_id = i, .host_id = i, .size = 1};
	for (size_t i = 0; i < 4097; i++)
		filter_4097[i] = allow_all[0];
	for (size_t i = 0; i < 4096; i++)
		loads_4096[i] = no_return[0];
	fill_path(path_4096, 4096);
	fill_path(path_64k, LONG_PATH);
	snprintf(name_too_long, sizeof(name_too_long), "/tmp/%0300d", 0);
	mount_target_4096[0] = (struct cfe_mount){.source = "tmpfs", .target = path_4096};
	mount_target_64k[0] = (struct cfe_mount){.source = "tmpfs", .target = path_64k};
	mount_name_too_long[0] =
	    (struct cfe_mount){.source = "tmpfs", .target = name_too_long, .fstype = "tmpfs"};
	/* files[closed + 1] = closed: fd closed is closed first (files[closed]
	 * is -1), so the library parks a copy of it, which it cannot make. */
	files_closed_parked_len = (uint32_t)env->closed_fd + 2;
	for (uint32_t i = 0; i < files_closed_parked_len; i++)
		files_closed_parked[i] = -1;
	files_closed_parked[env->closed_fd + 1] = env->closed_fd;
	/* exec_fd below files_len: the library copies it out of the way. */
	for (int i = 0; i <= env->closed_fd; i++)
		files_below_closed_exec_fd[i] = -1;
	files_closed_above[0] = 0;
	files_closed_above[1] = 1;
	files_closed_above[2] = 2;
	files_closed_above[3] = env->closed_fd + 100;
	files_devnull[0] = env->devnull;
	files_devnull[1] = 1;
	files_devnull[2] = 2;
}

/* ---- the rows: each spoils a configuration that would run the probe ---- */

typedef void spoil_fn(struct cfe_config *c, const struct bad_env *env);

#define SPOIL(name)                                                                                \
	static void spoil_##name(struct cfe_config *c,                                             \
				 __attribute__((unused)) const struct bad_env *env)

/* the struct and its flags */
SPOIL(size_zero)
{
	c->size = 0;
}
SPOIL(size_eight)
{
	c->size = 8;
}
SPOIL(size_below_ver1)
{
	c->size = CFE_CONFIG_SIZE_VER1 - 8;
}
SPOIL(size_ver1_minus_one)
{
	c->size = CFE_CONFIG_SIZE_VER1 - 1;
}
SPOIL(size_above_page)
{
	c->size = 4097;
}
SPOIL(size_max)
{
	c->size = UINT64_MAX;
}
SPOIL(tail_not_zero)
{
	c->size = sizeof(*c) + 8;
	((unsigned char *)c)[sizeof(*c) + 3] = 1;
}
SPOIL(last_byte_of_page_not_zero)
{
	c->size = 4096;
	((unsigned char *)c)[4095] = 0x80;
}
SPOIL(pad0_set)
{
	c->pad0 = 1;
}
SPOIL(pad0_high_bit)
{
	c->pad0 = 0x80000000u;
}
SPOIL(pad1_set)
{
	c->pad1 = 1;
}
SPOIL(flag_unknown)
{
	c->flags = CFE_FLAGS_KNOWN + 1;
}
SPOIL(flags_all)
{
	c->flags = UINT32_MAX;
}

/* args and env */
SPOIL(args_len_zero)
{
	c->args_len = 0;
}
SPOIL(args_null)
{
	c->args = NULL;
	c->args_len = 1;
}
SPOIL(args_null_len_max)
{
	c->args = NULL;
	c->args_len = UINT32_MAX;
}
SPOIL(args_len_beyond_kernel)
{
	c->args_len = MAX_ARG_STRINGS + 1;
}
SPOIL(args_entry_null)
{
	c->args = args_null_second;
	c->args_len = 2;
}
SPOIL(env_null)
{
	c->env = NULL;
	c->env_len = 1;
}
SPOIL(env_null_len_max)
{
	c->env = NULL;
	c->env_len = UINT32_MAX;
}
SPOIL(env_len_beyond_kernel)
{
	c->env = exit0_args + 1;
	c->env_len = UINT32_MAX;
}
SPOIL(env_entry_null)
{
	c->env = env_null_first;
	c->env_len = 1;
}
SPOIL(program_empty)
{
	c->args = empty_program;
	c->args_len = 1;
}

/* exec_fd */
SPOIL(exec_fd_minus_one)
{
	c->exec_fd = -1;
}
SPOIL(exec_fd_int32_min)
{
	c->exec_fd = INT32_MIN;
}
SPOIL(exec_fd_closed)
{
	c->exec_fd = env->closed_fd;
}
SPOIL(exec_fd_int32_max)
{
	c->exec_fd = INT32_MAX;
}
SPOIL(exec_fd_closed_below_files_len)
{
	c->exec_fd = env->closed_fd;
	c->files = files_below_closed_exec_fd;
	c->files_len = (uint32_t)env->closed_fd + 1;
}
SPOIL(exec_fd_directory)
{
	c->exec_fd = env->dir_fd;
}

/* cgroup_fd */
SPOIL(cgroup_fd_minus_one)
{
	c->cgroup_fd = -1;
}
SPOIL(cgroup_fd_int32_min)
{
	c->cgroup_fd = INT32_MIN;
}
SPOIL(cgroup_fd_closed)
{
	c->cgroup_fd = env->closed_fd;
}
SPOIL(cgroup_fd_int32_max)
{
	c->cgroup_fd = INT32_MAX;
}
SPOIL(cgroup_fd_regular_file)
{
	c->cgroup_fd = env->file_fd;
}

/* rlimits */
SPOIL(rlimits_null)
{
	c->rlimits_len = 1;
}
SPOIL(rlimits_null_len_max)
{
	c->rlimits_len = UINT32_MAX;
}
SPOIL(rlimit_pad)
{
	c->rlimits = rlimit_padded;
	c->rlimits_len = 2;
}
SPOIL(rlimit_cur_above_max)
{
	c->rlimits = rlimit_cur_above_max;
	c->rlimits_len = 1;
}
SPOIL(rlimit_third_cur_above_max)
{
	c->rlimits = rlimit_third_cur_above_max;
	c->rlimits_len = 3;
}
SPOIL(rlimit_resource_nlimits)
{
	c->rlimits = rlimit_nlimits;
	c->rlimits_len = 1;
}
SPOIL(rlimit_resource_max)
{
	c->rlimits = rlimit_resource_max;
	c->rlimits_len = 1;
}
SPOIL(rlimit_nofile_above_nr_open)
{
	c->rlimits = rlimit_nofile_huge;
	c->rlimits_len = 1;
}

/* files */
SPOIL(files_null)
{
	c->files_len = 1;
}
SPOIL(files_null_len_max)
{
	c->files_len = UINT32_MAX;
}
SPOIL(files_len_above_nr_open)
{
	c->files = files_minus_two;
	c->files_len = FILES_MAX + 1;
}
SPOIL(files_len_max)
{
	c->files = files_minus_two;
	c->files_len = UINT32_MAX;
}
SPOIL(files_minus_two_entry)
{
	c->files = files_minus_two;
	c->files_len = 3;
}
SPOIL(files_int32_min_entry)
{
	c->files = files_int32_min;
	c->files_len = 1;
}
SPOIL(files_closed_entry)
{
	c->files = files_closed_above;
	c->files_len = 4;
}
SPOIL(files_int32_max_entry)
{
	c->files = files_int32_max;
	c->files_len = 4;
}
SPOIL(files_closed_entry_parked)
{
	c->files = files_closed_parked;
	c->files_len = files_closed_parked_len;
}

/* seccomp */
SPOIL(seccomp_len_zero)
{
	c->seccomp = allow_all;
}
SPOIL(seccomp_null)
{
	c->seccomp_len = 1;
}
SPOIL(seccomp_null_len_max)
{
	c->seccomp_len = UINT32_MAX;
}
SPOIL(seccomp_4097)
{
	c->seccomp = filter_4097;
	c->seccomp_len = 4097;
}
SPOIL(seccomp_65536)
{
	c->seccomp = filter_4097;
	c->seccomp_len = 65536;
}
SPOIL(seccomp_len_max)
{
	c->seccomp = filter_4097;
	c->seccomp_len = UINT32_MAX;
}
SPOIL(seccomp_garbage_opcode)
{
	c->seccomp = garbage_opcode;
	c->seccomp_len = 2;
}
SPOIL(seccomp_no_return)
{
	c->seccomp = no_return;
	c->seccomp_len = 1;
}
SPOIL(seccomp_jump_past_end)
{
	c->seccomp = jump_past_end;
	c->seccomp_len = 2;
}
SPOIL(seccomp_load_past_data)
{
	c->seccomp = load_past_data;
	c->seccomp_len = 2;
}
SPOIL(seccomp_divide_by_zero)
{
	c->seccomp = divide_by_zero;
	c->seccomp_len = 2;
}
SPOIL(seccomp_4096_without_return)
{
	c->seccomp = loads_4096;
	c->seccomp_len = 4096;
}

/* user-namespace id maps */
SPOIL(uid_maps_null)
{
	c->clone_flags = CLONE_NEWUSER;
	c->uid_maps_len = 1;
}
SPOIL(gid_maps_null)
{
	c->clone_flags = CLONE_NEWUSER;
	c->gid_maps_len = 1;
}
SPOIL(uid_map_pad)
{
	c->clone_flags = CLONE_NEWUSER;
	c->uid_maps = id_map_padded;
	c->uid_maps_len = 1;
}
SPOIL(gid_map_pad)
{
	c->clone_flags = CLONE_NEWUSER;
	c->gid_maps = id_map_padded;
	c->gid_maps_len = 1;
}
SPOIL(uid_maps_341)
{
	c->clone_flags = CLONE_NEWUSER;
	c->uid_maps = id_maps_341;
	c->uid_maps_len = ID_MAP_LINES_MAX + 1;
}
SPOIL(gid_maps_341)
{
	c->clone_flags = CLONE_NEWUSER;
	c->gid_maps = id_maps_341;
	c->gid_maps_len = ID_MAP_LINES_MAX + 1;
}
SPOIL(uid_maps_len_max)
{
	c->clone_flags = CLONE_NEWUSER;
	c->uid_maps = id_map_size_zero;
	c->uid_maps_len = UINT32_MAX;
}
SPOIL(gid_maps_len_max)
{
	c->clone_flags = CLONE_NEWUSER;
	c->gid_maps = id_map_size_zero;
	c->gid_maps_len = UINT32_MAX;
}
SPOIL(uid_map_size_zero)
{
	c->clone_flags = CLONE_NEWUSER;
	c->uid_maps = id_map_size_zero;
	c->uid_maps_len = 1;
}
SPOIL(gid_map_size_zero)
{
	c->clone_flags = CLONE_NEWUSER;
	c->gid_maps = id_map_size_zero;
	c->gid_maps_len = 1;
}
SPOIL(uid_maps_overlap_inside)
{
	c->clone_flags = CLONE_NEWUSER;
	c->uid_maps = id_maps_overlapping_inside;
	c->uid_maps_len = 2;
}
SPOIL(uid_maps_overlap_outside)
{
	c->clone_flags = CLONE_NEWUSER;
	c->uid_maps = id_maps_overlapping_outside;
	c->uid_maps_len = 2;
}
SPOIL(gid_maps_overlap_inside)
{
	c->clone_flags = CLONE_NEWUSER;
	c->gid_maps = id_maps_overlapping_inside;
	c->gid_maps_len = 2;
}
SPOIL(uid_map_wraps)
{
	c->clone_flags = CLONE_NEWUSER;
	c->uid_maps = id_map_wrapping;
	c->uid_maps_len = 1;
}
SPOIL(uid_map_host_minus_one)
{
	c->clone_flags = CLONE_NEWUSER;
	c->uid_maps = id_map_host_minus_one;
	c->uid_maps_len = 1;
}
SPOIL(gid_map_host_minus_one)
{
	c->clone_flags = CLONE_NEWUSER;
	c->gid_maps = id_map_host_minus_one;
	c->gid_maps_len = 1;
}

/* credential */
SPOIL(groups_null)
{
	c->flags = CFE_FLAG_CREDENTIAL;
	c->groups_len = 1;
}
SPOIL(groups_65537)
{
	c->flags = CFE_FLAG_CREDENTIAL;
	c->groups = groups_65537;
	c->groups_len = GROUPS_MAX + 1;
}
SPOIL(groups_len_max)
{
	c->flags = CFE_FLAG_CREDENTIAL;
	c->groups = groups_65537;
	c->groups_len = UINT32_MAX;
}
SPOIL(uid_minus_one)
{
	c->flags = CFE_FLAG_CREDENTIAL;
	c->uid = UINT32_MAX;
}
SPOIL(gid_minus_one)
{
	c->flags = CFE_FLAG_CREDENTIAL;
	c->gid = UINT32_MAX;
}
SPOIL(group_entry_minus_one)
{
	c->flags = CFE_FLAG_CREDENTIAL;
	c->groups = group_minus_one;
	c->groups_len = 1;
}

/* mounts and pivot_root */
SPOIL(mounts_null)
{
	c->clone_flags = CLONE_NEWNS;
	c->mounts_len = 1;
}
SPOIL(mounts_null_len_max)
{
	c->clone_flags = CLONE_NEWNS;
	c->mounts_len = UINT32_MAX;
}
SPOIL(mount_target_null)
{
	c->clone_flags = CLONE_NEWNS;
	c->mounts = mount_untargeted;
	c->mounts_len = 1;
}
SPOIL(mount_second_target_null)
{
	c->clone_flags = CLONE_NEWNS;
	c->mounts = mount_second_untargeted;
	c->mounts_len = 2;
}
SPOIL(mount_target_of_4096)
{
	c->clone_flags = CLONE_NEWNS;
	c->mounts = mount_target_4096;
	c->mounts_len = 1;
}
SPOIL(mount_target_of_64k)
{
	c->clone_flags = CLONE_NEWNS;
	c->mounts = mount_target_64k;
	c->mounts_len = 1;
}
SPOIL(mount_pad)
{
	c->clone_flags = CLONE_NEWNS;
	c->mounts = mount_padded;
	c->mounts_len = 1;
}
SPOIL(mount_make_nod_2)
{
	c->clone_flags = CLONE_NEWNS;
	c->mounts = mount_make_nod_two;
	c->mounts_len = 1;
}
SPOIL(mounts_without_newns)
{
	c->clone_flags = CLONE_NEWUSER | CLONE_NEWUTS;
	c->mounts = mount_tmpfs;
	c->mounts_len = 1;
}
SPOIL(pivot_root_without_newns)
{
	c->pivot_root = "/tmp";
}
SPOIL(pivot_root_relative)
{
	c->clone_flags = CLONE_NEWNS;
	c->pivot_root = "tmp";
}
SPOIL(pivot_root_empty)
{
	c->clone_flags = CLONE_NEWNS;
	c->pivot_root = "";
}
SPOIL(mount_name_above_name_max)
{
	c->clone_flags = CLONE_NEWNS;
	c->mounts = mount_name_too_long;
	c->mounts_len = 1;
}
SPOIL(mount_target_empty)
{
	c->clone_flags = CLONE_NEWNS;
	c->mounts = mount_empty_target;
	c->mounts_len = 1;
}
SPOIL(mount_fstype_unknown)
{
	c->clone_flags = CLONE_NEWNS;
	c->mounts = mount_unknown_fstype;
	c->mounts_len = 1;
}
SPOIL(mount_second_source_missing)
{
	c->clone_flags = CLONE_NEWNS;
	c->mounts = mount_second_missing_source;
	c->mounts_len = 2;
}
SPOIL(pivot_root_missing)
{
	c->clone_flags = CLONE_NEWNS;
	c->pivot_root = "/nonexistent-cforkexec-badinput";
}
SPOIL(pivot_root_of_64k)
{
	c->clone_flags = CLONE_NEWNS;
	c->pivot_root = path_64k;
}

/* workdir */
SPOIL(workdir_missing)
{
	c->workdir = "/nonexistent-cforkexec-badinput";
}
SPOIL(workdir_of_4096)
{
	c->workdir = path_4096;
}

/* flags that need something else */
SPOIL(stop_without_pending)
{
	c->flags = CFE_FLAG_STOP_BEFORE_SECCOMP;
}
SPOIL(ptrace_seccomp_without_pending)
{
	c->flags = CFE_FLAG_PTRACE;
	c->seccomp = allow_all;
	c->seccomp_len = 1;
}
SPOIL(return_before_exec_without_pending)
{
	c->flags = CFE_FLAG_RETURN_BEFORE_EXEC;
}

static int32_t sync_accept(void *context, int32_t pid)
{
	(void)context;
	(void)pid;
	return 0;
}

SPOIL(stop_before_sync)
{
	c->flags = CFE_FLAG_STOP_BEFORE_SECCOMP;
	c->sync_fn = sync_accept;
}
SPOIL(ctty_not_a_terminal)
{
	c->flags = CFE_FLAG_CTTY;
	c->files = files_devnull;
	c->files_len = 3;
}

/* How a row calls cfe_start. */
enum bad_call {
	CALL_PENDING,	  /* with a pending pointer (the usual case) */
	CALL_NO_PENDING,  /* pending NULL */
	CALL_NULL_CONFIG, /* config NULL */
	CALL_NULL_ERROR,  /* error record NULL: -1 and nothing else to check */
};

struct bad_input {
	const char *what;
	spoil_fn *spoil;
	int err_no;
	uint32_t location;
	int32_t index;
	enum bad_call call;
};

#define REFUSED(what, fn, e)                                                                       \
	{                                                                                          \
		what, spoil_##fn, e, CFE_LOC_NONE, 0, CALL_PENDING                                 \
	}
#define CHILD_FAILS(what, fn, e, loc)                                                              \
	{                                                                                          \
		what, spoil_##fn, e, loc, 0, CALL_PENDING                                          \
	}

static const struct bad_input bad_inputs[] = {
    {"config NULL", NULL, EINVAL, CFE_LOC_NONE, 0, CALL_NULL_CONFIG},
    {"error record NULL", NULL, 0, CFE_LOC_NONE, 0, CALL_NULL_ERROR},
    REFUSED("size 0", size_zero, EINVAL),
    REFUSED("size 8", size_eight, EINVAL),
    REFUSED("size below version 1", size_below_ver1, EINVAL),
    REFUSED("size version 1 - 1", size_ver1_minus_one, EINVAL),
    REFUSED("size 4097", size_above_page, E2BIG),
    REFUSED("size UINT64_MAX", size_max, E2BIG),
    REFUSED("unknown tail not zero", tail_not_zero, E2BIG),
    REFUSED("size 4096, last byte not zero", last_byte_of_page_not_zero, E2BIG),
    REFUSED("pad0 1", pad0_set, EINVAL),
    REFUSED("pad0 high bit", pad0_high_bit, EINVAL),
    REFUSED("pad1 1", pad1_set, EINVAL),
    REFUSED("unknown flag bit", flag_unknown, EINVAL),
    REFUSED("every flag bit", flags_all, EINVAL),
    REFUSED("args_len 0", args_len_zero, EINVAL),
    REFUSED("args NULL, args_len 1", args_null, EINVAL),
    REFUSED("args NULL, args_len UINT32_MAX", args_null_len_max, EINVAL),
    REFUSED("args_len above MAX_ARG_STRINGS", args_len_beyond_kernel, EINVAL),
    REFUSED("args[1] NULL", args_entry_null, EINVAL),
    REFUSED("env NULL, env_len 1", env_null, EINVAL),
    REFUSED("env NULL, env_len UINT32_MAX", env_null_len_max, EINVAL),
    REFUSED("env_len above MAX_ARG_STRINGS", env_len_beyond_kernel, EINVAL),
    REFUSED("env[0] NULL", env_entry_null, EINVAL),
    CHILD_FAILS("args[0] empty", program_empty, ENOENT, CFE_LOC_EXECVE),
    REFUSED("exec_fd -1", exec_fd_minus_one, EINVAL),
    REFUSED("exec_fd INT32_MIN", exec_fd_int32_min, EINVAL),
    CHILD_FAILS("exec_fd not open", exec_fd_closed, EBADF, CFE_LOC_EXECVE),
    CHILD_FAILS("exec_fd INT32_MAX", exec_fd_int32_max, EBADF, CFE_LOC_EXECVE),
    CHILD_FAILS("exec_fd not open, below files_len", exec_fd_closed_below_files_len, EBADF,
		CFE_LOC_DUP3),
    CHILD_FAILS("exec_fd a directory", exec_fd_directory, EACCES, CFE_LOC_EXECVE),
    REFUSED("cgroup_fd -1", cgroup_fd_minus_one, EINVAL),
    REFUSED("cgroup_fd INT32_MIN", cgroup_fd_int32_min, EINVAL),
    CHILD_FAILS("cgroup_fd not open", cgroup_fd_closed, EBADF, CFE_LOC_CLONE),
    CHILD_FAILS("cgroup_fd INT32_MAX", cgroup_fd_int32_max, EBADF, CFE_LOC_CLONE),
    CHILD_FAILS("cgroup_fd a regular file", cgroup_fd_regular_file, EBADF, CFE_LOC_CLONE),
    REFUSED("rlimits NULL, rlimits_len 1", rlimits_null, EINVAL),
    REFUSED("rlimits NULL, rlimits_len UINT32_MAX", rlimits_null_len_max, EINVAL),
    REFUSED("rlimit pad", rlimit_pad, EINVAL),
    CHILD_FAILS("rlimit cur above max", rlimit_cur_above_max, EINVAL, CFE_LOC_SETRLIMIT),
    {"third rlimit cur above max", spoil_rlimit_third_cur_above_max, EINVAL, CFE_LOC_SETRLIMIT, 2,
     CALL_PENDING},
    CHILD_FAILS("rlimit resource RLIM_NLIMITS", rlimit_resource_nlimits, EINVAL, CFE_LOC_SETRLIMIT),
    CHILD_FAILS("rlimit resource UINT32_MAX", rlimit_resource_max, EINVAL, CFE_LOC_SETRLIMIT),
    CHILD_FAILS("RLIMIT_NOFILE above fs.nr_open", rlimit_nofile_above_nr_open, EPERM,
		CFE_LOC_SETRLIMIT),
    REFUSED("files NULL, files_len 1", files_null, EINVAL),
    REFUSED("files NULL, files_len UINT32_MAX", files_null_len_max, EINVAL),
    REFUSED("files_len above fs.nr_open", files_len_above_nr_open, EINVAL),
    REFUSED("files_len UINT32_MAX", files_len_max, EINVAL),
    REFUSED("files entry -2", files_minus_two_entry, EINVAL),
    REFUSED("files entry INT32_MIN", files_int32_min_entry, EINVAL),
    CHILD_FAILS("files entry not open", files_closed_entry, EBADF, CFE_LOC_DUP3),
    CHILD_FAILS("files entry INT32_MAX", files_int32_max_entry, EBADF, CFE_LOC_DUP3),
    CHILD_FAILS("files entry not open, parked", files_closed_entry_parked, EBADF, CFE_LOC_DUP3),
    REFUSED("seccomp without seccomp_len", seccomp_len_zero, EINVAL),
    REFUSED("seccomp NULL, seccomp_len 1", seccomp_null, EINVAL),
    REFUSED("seccomp NULL, seccomp_len UINT32_MAX", seccomp_null_len_max, EINVAL),
    REFUSED("seccomp_len 4097", seccomp_4097, EINVAL),
    REFUSED("seccomp_len 65536", seccomp_65536, EINVAL),
    REFUSED("seccomp_len UINT32_MAX", seccomp_len_max, EINVAL),
    CHILD_FAILS("seccomp opcode 0xffff", seccomp_garbage_opcode, EINVAL, CFE_LOC_SECCOMP),
    CHILD_FAILS("seccomp without return", seccomp_no_return, EINVAL, CFE_LOC_SECCOMP),
    CHILD_FAILS("seccomp jump past the end", seccomp_jump_past_end, EINVAL, CFE_LOC_SECCOMP),
    CHILD_FAILS("seccomp load past seccomp_data", seccomp_load_past_data, EINVAL, CFE_LOC_SECCOMP),
    CHILD_FAILS("seccomp division by zero", seccomp_divide_by_zero, EINVAL, CFE_LOC_SECCOMP),
    CHILD_FAILS("4096 seccomp loads without return", seccomp_4096_without_return, EINVAL,
		CFE_LOC_SECCOMP),
    REFUSED("uid_maps NULL, uid_maps_len 1", uid_maps_null, EINVAL),
    REFUSED("gid_maps NULL, gid_maps_len 1", gid_maps_null, EINVAL),
    REFUSED("uid map pad", uid_map_pad, EINVAL),
    REFUSED("gid map pad", gid_map_pad, EINVAL),
    REFUSED("341 uid map lines", uid_maps_341, EINVAL),
    REFUSED("341 gid map lines", gid_maps_341, EINVAL),
    REFUSED("uid_maps_len UINT32_MAX", uid_maps_len_max, EINVAL),
    REFUSED("gid_maps_len UINT32_MAX", gid_maps_len_max, EINVAL),
    CHILD_FAILS("uid map size 0", uid_map_size_zero, EINVAL, CFE_LOC_UNSHARE_USER_READ),
    CHILD_FAILS("gid map size 0", gid_map_size_zero, EINVAL, CFE_LOC_UNSHARE_USER_READ),
    CHILD_FAILS("uid maps overlapping inside", uid_maps_overlap_inside, EINVAL,
		CFE_LOC_UNSHARE_USER_READ),
    CHILD_FAILS("uid maps overlapping outside", uid_maps_overlap_outside, EINVAL,
		CFE_LOC_UNSHARE_USER_READ),
    CHILD_FAILS("gid maps overlapping inside", gid_maps_overlap_inside, EINVAL,
		CFE_LOC_UNSHARE_USER_READ),
    CHILD_FAILS("uid map range wraps", uid_map_wraps, EINVAL, CFE_LOC_UNSHARE_USER_READ),
    CHILD_FAILS("uid map host id 4294967295", uid_map_host_minus_one, EINVAL,
		CFE_LOC_UNSHARE_USER_READ),
    CHILD_FAILS("gid map host id 4294967295", gid_map_host_minus_one, EINVAL,
		CFE_LOC_UNSHARE_USER_READ),
    REFUSED("groups NULL, groups_len 1", groups_null, EINVAL),
    REFUSED("65537 groups", groups_65537, EINVAL),
    REFUSED("groups_len UINT32_MAX", groups_len_max, EINVAL),
    CHILD_FAILS("uid 4294967295", uid_minus_one, EINVAL, CFE_LOC_SETUID),
    CHILD_FAILS("gid 4294967295", gid_minus_one, EINVAL, CFE_LOC_SETGID),
    CHILD_FAILS("group 4294967295", group_entry_minus_one, EINVAL, CFE_LOC_SETGROUPS),
    REFUSED("mounts NULL, mounts_len 1", mounts_null, EINVAL),
    REFUSED("mounts NULL, mounts_len UINT32_MAX", mounts_null_len_max, EINVAL),
    REFUSED("mount target NULL", mount_target_null, EINVAL),
    REFUSED("second mount target NULL", mount_second_target_null, EINVAL),
    REFUSED("mount target of 4096 bytes", mount_target_of_4096, ENAMETOOLONG),
    REFUSED("mount target of 64 KiB", mount_target_of_64k, ENAMETOOLONG),
    REFUSED("mount pad", mount_pad, EINVAL),
    REFUSED("make_nod 2", mount_make_nod_2, EINVAL),
    REFUSED("mounts without CLONE_NEWNS", mounts_without_newns, EINVAL),
    REFUSED("pivot_root without CLONE_NEWNS", pivot_root_without_newns, EINVAL),
    REFUSED("pivot_root relative", pivot_root_relative, EINVAL),
    REFUSED("pivot_root empty", pivot_root_empty, EINVAL),
    CHILD_FAILS("mount target name above NAME_MAX", mount_name_above_name_max, ENAMETOOLONG,
		CFE_LOC_MOUNT_MKDIR),
    CHILD_FAILS("mount target empty", mount_target_empty, ENOENT, CFE_LOC_MOUNT),
    CHILD_FAILS("mount of an unknown fstype", mount_fstype_unknown, ENODEV, CFE_LOC_MOUNT),
    {"second mount's source missing", spoil_mount_second_source_missing, ENOENT, CFE_LOC_MOUNT, 1,
     CALL_PENDING},
    CHILD_FAILS("pivot_root missing", pivot_root_missing, ENOENT, CFE_LOC_MOUNT_TMPFS),
    CHILD_FAILS("pivot_root of 64 KiB", pivot_root_of_64k, ENAMETOOLONG, CFE_LOC_MOUNT_TMPFS),
    CHILD_FAILS("workdir missing", workdir_missing, ENOENT, CFE_LOC_CHDIR),
    CHILD_FAILS("workdir of 4096 bytes", workdir_of_4096, ENAMETOOLONG, CFE_LOC_CHDIR),
    {"STOP_BEFORE_SECCOMP without pending", spoil_stop_without_pending, EINVAL, CFE_LOC_NONE, 0,
     CALL_NO_PENDING},
    {"PTRACE with seccomp without pending", spoil_ptrace_seccomp_without_pending, EINVAL,
     CFE_LOC_NONE, 0, CALL_NO_PENDING},
    {"RETURN_BEFORE_EXEC without pending", spoil_return_before_exec_without_pending, EINVAL,
     CFE_LOC_NONE, 0, CALL_NO_PENDING},
    REFUSED("STOP_BEFORE_SECCOMP with a sync callback", stop_before_sync, EINVAL),
    CHILD_FAILS("CTTY on /dev/null", ctty_not_a_terminal, ENOTTY, CFE_LOC_IOCTL),
};

#define BAD_INPUTS (sizeof(bad_inputs) / sizeof(bad_inputs[0]))

/* ---- what a run must not leave behind ---- */

struct usage {
	int fds;
	int maps;
	size_t heap;
};

static struct usage measure(void)
{
	struct usage u;

	u.fds = count_entries("/proc/self/fd");
	u.maps = count_lines("/proc/self/maps");
	assert_true(u.fds >= 0 && u.maps >= 0);
	u.heap = mallinfo2().uordblks;
	return u;
}

/* SIGCHLD is blocked while the table runs: a child that existed, however
 * briefly, leaves it pending. */
static int take_sigchld(void)
{
	const struct timespec now = {0, 0};
	sigset_t chld;
	int seen = 0;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	while (sigtimedwait(&chld, NULL, &now) == SIGCHLD)
		seen = 1;
	return seen;
}

/* ---- one row ---- */

/* Room for the configuration and a tail up to the largest size the
 * library reads. */
union config_room {
	struct cfe_config c;
	unsigned char bytes[4096 + 64];
};

static void reap_unexpected(int32_t pid, struct cfe_pending *pending)
{
	kill(pid, SIGKILL);
	if (pending != NULL)
		cfe_pending_finish(pending, NULL);
	while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
		;
}

/* Run one row; returns 0 when it behaved, else prints why and returns -1. */
static int run_row(const struct bad_input *row, const struct bad_env *env)
{
	union config_room room;
	struct cfe_error err = {.err_no = -1, .location = 999, .index = -1};
	struct cfe_pending *pending = (struct cfe_pending *)&room; /* must be reset */
	const char *args[3];
	int32_t pid;
	int children, sigchld;

	memset(&room, 0, sizeof(room));
	memcpy(args, exit0_args, sizeof(args));
	args[0] = probe_path();
	room.c.size = sizeof(room.c);
	room.c.args = args;
	room.c.args_len = 3;
	if (row->spoil != NULL)
		row->spoil(&room.c, env);
	take_sigchld();
	switch (row->call) {
	case CALL_NULL_CONFIG:
		pid = cfe_start(NULL, &err, &pending);
		break;
	case CALL_NULL_ERROR:
		pid = cfe_start(&room.c, NULL, &pending);
		break;
	case CALL_NO_PENDING:
		pending = NULL;
		pid = cfe_start(&room.c, &err, NULL);
		break;
	default:
		pid = cfe_start(&room.c, &err, &pending);
		break;
	}
	if (pid > 0) {
		reap_unexpected(pid, pending);
		print_error("%s: started pid %d\n", row->what, pid);
		return -1;
	}
	sigchld = take_sigchld();
	children = count_own_children();
	if (waitpid(-1, NULL, WNOHANG | __WALL) != -1 || errno != ECHILD || children != 0) {
		print_error("%s: %d children left\n", row->what, children);
		return -1;
	}
	if (pending != NULL && row->call != CALL_NULL_ERROR) {
		print_error("%s: pending not reset\n", row->what);
		return -1;
	}
	if (row->call == CALL_NULL_ERROR)
		return sigchld ? (print_error("%s: a child was started\n", row->what), -1) : 0;
	if (pid != -1 || err.err_no != row->err_no || err.location != row->location ||
	    err.index != row->index) {
		print_error("%s: start returned %d with {%s, %s, %d}; want -1 with {%s, %s, %d}\n",
			    row->what, pid, strerror(err.err_no), cfe_location_name(err.location),
			    err.index, strerror(row->err_no), cfe_location_name(row->location),
			    row->index);
		return -1;
	}
	if (row->location == CFE_LOC_NONE && sigchld) {
		print_error("%s: refused, but a child was started\n", row->what);
		return -1;
	}
	return 0;
}

static int run_table(const struct bad_env *env)
{
	int failed = 0;

	for (size_t i = 0; i < BAD_INPUTS; i++)
		failed += run_row(&bad_inputs[i], env) != 0;
	return failed;
}

static void open_env(struct bad_env *env)
{
	env->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	env->file_fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	env->dir_fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	env->closed_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(env->devnull >= 0 && env->file_fd >= 0 && env->dir_fd >= 0);
	assert_true(env->closed_fd > 2 && env->closed_fd + 2 < PATH_BUF);
	close(env->closed_fd);
	assert_int_equal(fcntl(env->closed_fd + 100, F_GETFD), -1);
}

static void close_env(const struct bad_env *env)
{
	close(env->devnull);
	close(env->file_fd);
	close(env->dir_fd);
}

static void test_bad_inputs(void **state)
{
	struct bad_env env;
	struct usage before, after;
	sigset_t chld, old_mask;
	int failed;

	(void)state;
	require_root();
	assert_true(BAD_INPUTS >= 60);
	alarm(TABLE_TIMEOUT_S);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	assert_int_equal(sigprocmask(SIG_BLOCK, &chld, &old_mask), 0);
	open_env(&env);
	prepare_data(&env);
	failed = run_table(&env);
	before = measure();
	failed += run_table(&env);
	after = measure();
	close_env(&env);
	take_sigchld();
	assert_int_equal(sigprocmask(SIG_SETMASK, &old_mask, NULL), 0);
	alarm(0);
	fprintf(stderr,
		"%zu bad inputs, run twice: %d fds, %d mappings, %zu B of C heap before the second "
		"run, %d, %d, %zu B after\n",
		BAD_INPUTS, before.fds, before.maps, before.heap, after.fds, after.maps,
		after.heap);
	assert_int_equal(failed, 0);
	assert_int_equal(after.fds, before.fds);
#ifndef UNDER_ASAN
	/* ASan's allocator maps and accounts on its own terms (and finds
	 * leaks itself at exit). */
	assert_int_equal(after.maps, before.maps);
	assert_int_equal(after.heap, before.heap);
#endif
}

const struct CMUnitTest badinput_tests[] = {
    cmocka_unit_test(test_bad_inputs),
};
const size_t badinput_tests_len = sizeof(badinput_tests) / sizeof(badinput_tests[0]);

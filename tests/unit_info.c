/* Unit tests of info.c and of the ABI the header pins: the version, the
 * location names (the Go ErrorLocation.String() texts), the numbers and
 * layouts a compiled caller depends on; and of dumpable.c, the one piece of
 * process-wide state the library keeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include <linux/filter.h>
#include <linux/sched.h>
#include <sys/prctl.h>

#include "internal.h"

static void test_abi_version(void **state)
{
	(void)state;
	assert_int_equal(CFE_ABI_VERSION, 2);
	assert_int_equal(cfe_abi_version(), CFE_ABI_VERSION);
}

/* The reference's spellings, indexed by ErrorLocation ("setrlimt" sic). */
static const char *const go_location_names[] = {
    "unknown",
    "clone",
    "close_write",
    "unshare_user_read",
    "getpid",
    "keep_capability",
    "setgroups",
    "setgid",
    "setuid",
    "dup3",
    "fcntl",
    "setsid",
    "ioctl",
    "mount(root)",
    "mount(tmpfs)",
    "mount(chdir)",
    "mount",
    "mount(mkdir)",
    "pivot_root",
    "umount",
    "unlink",
    "mount(readonly)",
    "chdir",
    "setrlimt",
    "set_no_new_privs",
    "drop_capability",
    "set_cap",
    "ptrace_me",
    "stop",
    "seccomp",
    "sync_write",
    "sync_read",
    "execve",
    "sync_callback",
    "child_died",
    "unshare_cgroup",
    "parent_death_signal",
};

static void test_location_names(void **state)
{
	(void)state;
	assert_int_equal(sizeof(go_location_names) / sizeof(go_location_names[0]), 37);
	for (uint32_t i = 0; i < 37; i++)
		assert_string_equal(cfe_location_name(i), go_location_names[i]);
}

static void test_unknown_location_names(void **state)
{
	const uint32_t unknown[] = {37, 38, 64, 255, 256, 0x7fffffffu, 0x80000000u, UINT32_MAX};

	(void)state;
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		assert_string_equal(cfe_location_name(unknown[i]), "unknown");
}

/* Each enumerator has the number of the Go constant of the same name. */
static void test_location_numbers(void **state)
{
	(void)state;
	assert_int_equal(CFE_LOC_NONE, 0);
	assert_int_equal(CFE_LOC_CLONE, 1);
	assert_int_equal(CFE_LOC_CLOSE_WRITE, 2);
	assert_int_equal(CFE_LOC_UNSHARE_USER_READ, 3);
	assert_int_equal(CFE_LOC_GETPID, 4);
	assert_int_equal(CFE_LOC_KEEP_CAPABILITY, 5);
	assert_int_equal(CFE_LOC_SETGROUPS, 6);
	assert_int_equal(CFE_LOC_SETGID, 7);
	assert_int_equal(CFE_LOC_SETUID, 8);
	assert_int_equal(CFE_LOC_DUP3, 9);
	assert_int_equal(CFE_LOC_FCNTL, 10);
	assert_int_equal(CFE_LOC_SETSID, 11);
	assert_int_equal(CFE_LOC_IOCTL, 12);
	assert_int_equal(CFE_LOC_MOUNT_ROOT, 13);
	assert_int_equal(CFE_LOC_MOUNT_TMPFS, 14);
	assert_int_equal(CFE_LOC_MOUNT_CHDIR, 15);
	assert_int_equal(CFE_LOC_MOUNT, 16);
	assert_int_equal(CFE_LOC_MOUNT_MKDIR, 17);
	assert_int_equal(CFE_LOC_PIVOT_ROOT, 18);
	assert_int_equal(CFE_LOC_UMOUNT, 19);
	assert_int_equal(CFE_LOC_UNLINK, 20);
	assert_int_equal(CFE_LOC_MOUNT_ROOT_READONLY, 21);
	assert_int_equal(CFE_LOC_CHDIR, 22);
	assert_int_equal(CFE_LOC_SETRLIMIT, 23);
	assert_int_equal(CFE_LOC_SET_NO_NEW_PRIVS, 24);
	assert_int_equal(CFE_LOC_DROP_CAPABILITY, 25);
	assert_int_equal(CFE_LOC_SET_CAP, 26);
	assert_int_equal(CFE_LOC_PTRACE_ME, 27);
	assert_int_equal(CFE_LOC_STOP, 28);
	assert_int_equal(CFE_LOC_SECCOMP, 29);
	assert_int_equal(CFE_LOC_SYNC_WRITE, 30);
	assert_int_equal(CFE_LOC_SYNC_READ, 31);
	assert_int_equal(CFE_LOC_EXECVE, 32);
	assert_int_equal(CFE_LOC_SYNC_CALLBACK, 33);
	assert_int_equal(CFE_LOC_CHILD_DIED, 34);
	assert_int_equal(CFE_LOC_UNSHARE_CGROUP, 35);
	assert_int_equal(CFE_LOC_PARENT_DEATH_SIGNAL, 36);
	assert_string_equal(cfe_location_name(CFE_LOC_SETRLIMIT), "setrlimt");
	assert_string_equal(cfe_location_name(CFE_LOC_EXECVE), "execve");
}

static void test_flag_values(void **state)
{
	(void)state;
	assert_int_equal(CFE_FLAG_CREDENTIAL, 0x1);
	assert_int_equal(CFE_FLAG_NO_SETGROUPS, 0x2);
	assert_int_equal(CFE_FLAG_PTRACE, 0x4);
	assert_int_equal(CFE_FLAG_NO_NEW_PRIVS, 0x8);
	assert_int_equal(CFE_FLAG_STOP_BEFORE_SECCOMP, 0x10);
	assert_int_equal(CFE_FLAG_GID_MAPPINGS_ENABLE_SETGROUPS, 0x20);
	assert_int_equal(CFE_FLAG_DROP_CAPS, 0x40);
	assert_int_equal(CFE_FLAG_UNSHARE_CGROUP_AFTER_SYNC, 0x80);
	assert_int_equal(CFE_FLAG_CTTY, 0x100);
	assert_int_equal(CFE_FLAG_RETURN_BEFORE_EXEC, 0x200);
	assert_int_equal(CFE_FLAG_CLOSE_OTHER_FDS, 0x400);
	assert_int_equal(CFE_FLAGS_KNOWN, 0x7ff);
}

/* The Go UnshareFlags: the seven CLONE_NEW* flags of the reference (no
 * CLONE_NEWTIME). */
static void test_unshare_flags(void **state)
{
	(void)state;
	assert_int_equal(CFE_UNSHARE_FLAGS,
			 (uint64_t)(CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID |
				    CLONE_NEWUSER | CLONE_NEWUTS | CLONE_NEWCGROUP));
	assert_int_equal(CFE_UNSHARE_FLAGS & CLONE_NEWTIME, 0);
}

static void test_error_record_layout(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct cfe_error), 16);
	assert_int_equal(offsetof(struct cfe_error, err_no), 0);
	assert_int_equal(offsetof(struct cfe_error, location), 4);
	assert_int_equal(offsetof(struct cfe_error, index), 8);
	assert_int_equal(offsetof(struct cfe_error, pad), 12);
}

/* Every field of versions 1 and 2 at the offset compiled callers use. */
static void test_config_layout(void **state)
{
	(void)state;
	assert_int_equal(CFE_CONFIG_SIZE_VER1, 216);
	assert_int_equal(CFE_CONFIG_SIZE_VER2, 232);
	assert_int_equal(sizeof(struct cfe_config), CFE_CONFIG_SIZE_VER2);
	assert_int_equal(offsetof(struct cfe_config, size), 0);
	assert_int_equal(offsetof(struct cfe_config, args), 8);
	assert_int_equal(offsetof(struct cfe_config, env), 16);
	assert_int_equal(offsetof(struct cfe_config, args_len), 24);
	assert_int_equal(offsetof(struct cfe_config, env_len), 28);
	assert_int_equal(offsetof(struct cfe_config, exec_fd), 32);
	assert_int_equal(offsetof(struct cfe_config, rlimits_len), 36);
	assert_int_equal(offsetof(struct cfe_config, rlimits), 40);
	assert_int_equal(offsetof(struct cfe_config, files), 48);
	assert_int_equal(offsetof(struct cfe_config, files_len), 56);
	assert_int_equal(offsetof(struct cfe_config, seccomp_len), 60);
	assert_int_equal(offsetof(struct cfe_config, seccomp), 64);
	assert_int_equal(offsetof(struct cfe_config, workdir), 72);
	assert_int_equal(offsetof(struct cfe_config, clone_flags), 80);
	assert_int_equal(offsetof(struct cfe_config, mounts), 88);
	assert_int_equal(offsetof(struct cfe_config, mounts_len), 96);
	assert_int_equal(offsetof(struct cfe_config, pad0), 100);
	assert_int_equal(offsetof(struct cfe_config, pivot_root), 104);
	assert_int_equal(offsetof(struct cfe_config, hostname), 112);
	assert_int_equal(offsetof(struct cfe_config, domainname), 120);
	assert_int_equal(offsetof(struct cfe_config, uid_maps), 128);
	assert_int_equal(offsetof(struct cfe_config, gid_maps), 136);
	assert_int_equal(offsetof(struct cfe_config, uid_maps_len), 144);
	assert_int_equal(offsetof(struct cfe_config, gid_maps_len), 148);
	assert_int_equal(offsetof(struct cfe_config, cgroup_fd), 152);
	assert_int_equal(offsetof(struct cfe_config, uid), 156);
	assert_int_equal(offsetof(struct cfe_config, gid), 160);
	assert_int_equal(offsetof(struct cfe_config, groups_len), 164);
	assert_int_equal(offsetof(struct cfe_config, groups), 168);
	assert_int_equal(offsetof(struct cfe_config, flags), 176);
	assert_int_equal(offsetof(struct cfe_config, pad1), 180);
	assert_int_equal(offsetof(struct cfe_config, sync_fn), 184);
	assert_int_equal(offsetof(struct cfe_config, sync_context), 192);
	assert_int_equal(offsetof(struct cfe_config, clone_hook), 200);
	assert_int_equal(offsetof(struct cfe_config, clone_hook_context), 208);
	assert_int_equal(offsetof(struct cfe_config, pidfd_out), CFE_CONFIG_SIZE_VER1);
	assert_int_equal(offsetof(struct cfe_config, parent_death_signal), 224);
	assert_int_equal(offsetof(struct cfe_config, pad2), 228);
}

static void test_array_element_layouts(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct cfe_rlimit), 24);
	assert_int_equal(offsetof(struct cfe_rlimit, resource), 0);
	assert_int_equal(offsetof(struct cfe_rlimit, pad), 4);
	assert_int_equal(offsetof(struct cfe_rlimit, cur), 8);
	assert_int_equal(offsetof(struct cfe_rlimit, max), 16);

	assert_int_equal(sizeof(struct cfe_mount), 48);
	assert_int_equal(offsetof(struct cfe_mount, source), 0);
	assert_int_equal(offsetof(struct cfe_mount, target), 8);
	assert_int_equal(offsetof(struct cfe_mount, fstype), 16);
	assert_int_equal(offsetof(struct cfe_mount, data), 24);
	assert_int_equal(offsetof(struct cfe_mount, flags), 32);
	assert_int_equal(offsetof(struct cfe_mount, make_nod), 40);
	assert_int_equal(offsetof(struct cfe_mount, pad), 44);

	assert_int_equal(sizeof(struct cfe_id_map), 16);
	assert_int_equal(offsetof(struct cfe_id_map, container_id), 0);
	assert_int_equal(offsetof(struct cfe_id_map, host_id), 4);
	assert_int_equal(offsetof(struct cfe_id_map, size), 8);
	assert_int_equal(offsetof(struct cfe_id_map, pad), 12);
}

/* The child hands the filter to the kernel as it is. */
static void test_bpf_insn_is_sock_filter(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct cfe_bpf_insn), sizeof(struct sock_filter));
	assert_int_equal(offsetof(struct cfe_bpf_insn, code), offsetof(struct sock_filter, code));
	assert_int_equal(offsetof(struct cfe_bpf_insn, jt), offsetof(struct sock_filter, jt));
	assert_int_equal(offsetof(struct cfe_bpf_insn, jf), offsetof(struct sock_filter, jf));
	assert_int_equal(offsetof(struct cfe_bpf_insn, k), offsetof(struct sock_filter, k));
	assert_int_equal(CFE_BPF_MAXINSNS, BPF_MAXINSNS);
}

static int get_dumpable(void)
{
	return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
}

static void set_dumpable(int value)
{
	assert_int_equal(prctl(PR_SET_DUMPABLE, (unsigned long)value, 0, 0, 0), 0);
}

/* fs.suid_dumpable: what a child's setuid sets the shared flag to, which
 * these tests write themselves to play the child.  2 is beyond
 * PR_SET_DUMPABLE, so those tests skip there. */
static int child_leaves(void)
{
	FILE *f = fopen("/proc/sys/fs/suid_dumpable", "re");
	int v = -1;

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &v), 1);
	fclose(f);
	if (v == 2) {
		fprintf(stderr, "skipped: fs.suid_dumpable is 2, which a test cannot set\n");
		skip();
	}
	return v;
}

/* Overlapping holds: the flag a child's setuid set comes back only at the
 * last release, and as it was at the first hold. */
static void test_dumpable_restored_by_last_release(void **state)
{
	int before = get_dumpable();
	int left = child_leaves();

	(void)state;
	assert_true(before >= 0);
	set_dumpable(1);
	cfe_dumpable_hold();
	set_dumpable(left);
	cfe_dumpable_hold();
	cfe_dumpable_release();
	assert_int_equal(get_dumpable(), left);
	cfe_dumpable_release();
	assert_int_equal(get_dumpable(), 1);
	set_dumpable(before);
}

/* A process that was not dumpable stays so: release restores, it does not
 * leave the flag where the child's setuid put it. */
static void test_dumpable_restores_cleared_flag(void **state)
{
	int before = get_dumpable();
	int left = child_leaves();

	(void)state;
	assert_true(before >= 0);
	set_dumpable(0);
	cfe_dumpable_hold();
	set_dumpable(left);
	cfe_dumpable_hold();
	cfe_dumpable_release();
	cfe_dumpable_release();
	assert_int_equal(get_dumpable(), 0);
	set_dumpable(before);
}

/* A second round of holds saves the flag afresh. */
static void test_dumpable_saved_per_round(void **state)
{
	int before = get_dumpable();
	int left = child_leaves();

	(void)state;
	assert_true(before >= 0);
	set_dumpable(0);
	cfe_dumpable_hold();
	cfe_dumpable_release();
	set_dumpable(1);
	cfe_dumpable_hold();
	set_dumpable(left);
	cfe_dumpable_release();
	assert_int_equal(get_dumpable(), 1);
	set_dumpable(before);
}

/* A value the child's setuid does not leave was the caller's, set while a
 * start held the flag: the last release keeps it. */
static void test_dumpable_caller_change_kept(void **state)
{
	int before = get_dumpable();
	int left = child_leaves();

	(void)state;
	assert_true(before >= 0);
	set_dumpable(left);
	cfe_dumpable_hold();
	cfe_dumpable_hold();
	set_dumpable(!left);
	cfe_dumpable_release();
	cfe_dumpable_release();
	assert_int_equal(get_dumpable(), !left);
	set_dumpable(before);
}

/* With no start holding the flag, cfe_set_dumpable is PR_SET_DUMPABLE;
 * values other than 0 and 1 are refused and change nothing. */
static void test_set_dumpable_outside_starts(void **state)
{
	int before = get_dumpable();

	(void)state;
	assert_true(before >= 0);
	assert_int_equal(cfe_set_dumpable(0), 0);
	assert_int_equal(get_dumpable(), 0);
	assert_int_equal(cfe_set_dumpable(1), 0);
	assert_int_equal(get_dumpable(), 1);
	assert_int_equal(cfe_set_dumpable(2), EINVAL);
	assert_int_equal(cfe_set_dumpable(-1), EINVAL);
	assert_int_equal(get_dumpable(), 1);
	set_dumpable(before);
}

/* While starts hold the flag: 0 at once, 1 only at the last release, and
 * the last release leaves what was asked even where it equals what a
 * child's setuid leaves (which a plain prctl cannot say). */
static void test_set_dumpable_during_starts(void **state)
{
	int before = get_dumpable();
	int left = child_leaves();

	(void)state;
	assert_true(before >= 0);
	set_dumpable(1);
	cfe_dumpable_hold();
	set_dumpable(left);
	cfe_dumpable_hold();
	assert_int_equal(cfe_set_dumpable(0), 0);
	assert_int_equal(get_dumpable(), 0);
	cfe_dumpable_release();
	cfe_dumpable_release();
	assert_int_equal(get_dumpable(), 0);

	set_dumpable(0);
	cfe_dumpable_hold();
	set_dumpable(left);
	assert_int_equal(cfe_set_dumpable(1), 0);
	assert_int_equal(get_dumpable(), left);
	cfe_dumpable_release();
	assert_int_equal(get_dumpable(), 1);

	/* A later round forgets it: the plain rule again. */
	set_dumpable(1);
	cfe_dumpable_hold();
	set_dumpable(left);
	cfe_dumpable_release();
	assert_int_equal(get_dumpable(), 1);
	set_dumpable(before);
}

/* The release rule for every combination the kernel can produce. */
static void test_dumpable_restore_rule(void **state)
{
	static const struct {
		int saved, left_by_child, now, want;
	} cases[] = {
	    {1, 0, 0, 1},   /* the child's setuid cleared it: back to 1 */
	    {0, 0, 0, -1},  /* nothing to do */
	    {1, 0, 1, -1},  /* as saved */
	    {0, 0, 1, -1},  /* the caller raised it meanwhile */
	    {0, 1, 1, 0},   /* suid_dumpable 1 raised it: back to 0 */
	    {1, 1, 0, -1},  /* the caller cleared it meanwhile */
	    {1, 2, 2, 1},   /* suid_dumpable 2 */
	    {0, 2, 2, 0},   /* suid_dumpable 2, not dumpable before */
	    {1, 2, 0, -1},  /* the caller cleared it meanwhile */
	    {0, 2, 1, -1},  /* the caller raised it meanwhile */
	    {-1, 0, 0, -1}, /* unknown at the first hold */
	    {1, 0, -1, -1}, /* unknown at the release */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = cfe_dumpable_restore_value(cases[i].saved, cases[i].left_by_child,
						     cases[i].now);

		if (got != cases[i].want)
			fail_msg("saved %d, left by child %d, now %d: got %d, want %d",
				 cases[i].saved, cases[i].left_by_child, cases[i].now, got,
				 cases[i].want);
	}
}

const struct CMUnitTest info_tests[] = {
    cmocka_unit_test(test_abi_version),
    cmocka_unit_test(test_location_names),
    cmocka_unit_test(test_unknown_location_names),
    cmocka_unit_test(test_location_numbers),
    cmocka_unit_test(test_flag_values),
    cmocka_unit_test(test_unshare_flags),
    cmocka_unit_test(test_error_record_layout),
    cmocka_unit_test(test_config_layout),
    cmocka_unit_test(test_array_element_layouts),
    cmocka_unit_test(test_bpf_insn_is_sock_filter),
    cmocka_unit_test(test_dumpable_restored_by_last_release),
    cmocka_unit_test(test_dumpable_restores_cleared_flag),
    cmocka_unit_test(test_dumpable_saved_per_round),
    cmocka_unit_test(test_dumpable_caller_change_kept),
    cmocka_unit_test(test_dumpable_restore_rule),
    cmocka_unit_test(test_set_dumpable_outside_starts),
    cmocka_unit_test(test_set_dumpable_during_starts),
};
const size_t info_tests_len = sizeof(info_tests) / sizeof(info_tests[0]);

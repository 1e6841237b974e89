/* What the library says about itself: its ABI version and the names of
 * error locations. */
#include "internal.h"

/* Indexed by enum cfe_location; spelled as the Go ErrorLocation.String(),
 * "setrlimt" included, up to execve; then this library's own. */
static const char *const location_names[] = {
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

uint32_t cfe_abi_version(void)
{
	return CFE_ABI_VERSION;
}

const char *cfe_location_name(uint32_t location)
{
	if (location >= sizeof(location_names) / sizeof(location_names[0]))
		return location_names[0];
	return location_names[location];
}

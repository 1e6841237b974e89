/*
 * sandbox-demo PROGRAM [ARG...]: run PROGRAM the way a judge would, inside
 * new user, pid, mount and UTS namespaces, with a read-only root made of a
 * tmpfs holding read-only binds of /usr, /bin, /lib and /lib64, and wait
 * for it.  `make run` uses it to start the probe, which prints what it saw.
 * It also shows the library's C usage end to end.
 */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cforkexec.h"

static int32_t report_ready(void *context, int32_t pid)
{
	/* A judge would put pid into its cgroup here, before the execve. */
	fprintf(stderr, "%s: child %d is set up, letting it exec\n", (const char *)context, pid);
	return 0;
}

static uint32_t add_bind(struct cfe_mount *mounts, uint32_t n, const char *path)
{
	struct stat st;

	/* A bind of a path this machine lacks would fail the start. */
	if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return n;
	mounts[n] = (struct cfe_mount){
	    .source = path,
	    .target = path + 1, /* relative: inside the new root */
	    .flags = MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
	};
	return n + 1;
}

int main(int argc, char **argv)
{
	static const char *const env[] = {"PATH=/usr/bin:/bin", "HOME=/w"};
	char root[] = "/tmp/cforkexec-root.XXXXXX";
	struct cfe_mount mounts[5];
	struct cfe_rlimit limits[] = {{.resource = RLIMIT_CPU, .cur = 1, .max = 2}};
	struct cfe_error err;
	uint32_t nmounts = 0;
	int status, exec_fd;
	int32_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: %s PROGRAM [ARG...]\n", argv[0]);
		return 2;
	}
	/* Opened here, executed inside the new root where its path is gone. */
	exec_fd = open(argv[1], O_PATH | O_CLOEXEC);
	if (exec_fd < 0 || mkdtemp(root) == NULL) {
		perror(argv[1]);
		return 1;
	}
	nmounts = add_bind(mounts, nmounts, "/usr");
	nmounts = add_bind(mounts, nmounts, "/bin");
	nmounts = add_bind(mounts, nmounts, "/lib");
	nmounts = add_bind(mounts, nmounts, "/lib64");
	mounts[nmounts++] = (struct cfe_mount){.source = "tmpfs", .target = "w", .fstype = "tmpfs"};

	struct cfe_config config = {
	    .size = sizeof(config),
	    .args = (const char *const *)argv + 1,
	    .args_len = (uint32_t)argc - 1,
	    .env = env,
	    .env_len = 2,
	    .exec_fd = exec_fd,
	    .clone_flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS,
	    .mounts = mounts,
	    .mounts_len = nmounts,
	    .pivot_root = root,
	    .hostname = "sandbox",
	    .workdir = "/w",
	    .rlimits = limits,
	    .rlimits_len = 1,
	    .flags = CFE_FLAG_DROP_CAPS | CFE_FLAG_NO_NEW_PRIVS,
	    .sync_fn = report_ready,
	    .sync_context = argv[0],
	};
	pid = cfe_start(&config, &err, NULL);
	close(exec_fd);
	if (pid < 0) {
		fprintf(stderr, "start failed: %s(%d): errno %d\n", cfe_location_name(err.location),
			err.index, err.err_no);
		rmdir(root);
		return 1;
	}
	while (waitpid(pid, &status, 0) < 0)
		;
	rmdir(root);
	fprintf(stderr, "child %d exited with status %d\n", pid,
		WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

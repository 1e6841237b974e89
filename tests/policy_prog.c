/*
 * policy-prog: what the seccomp policy tests run under the judge lists
 * (cfe_seccomp_add_judge_defaults, cfe_seccomp_add_judge_fork).  argv[1]
 * picks one thing an ordinary or a hostile program does; the exit status
 * says how it went (0: as a judge wants, 3: a call that should have been
 * stopped ran), a policy's kill shows as SIGSYS.
 *
 *   qsort N        sort N pseudo-random ints with qsort, print them, one a
 *                  line (glibc 2.36's qsort calls sysinfo)
 *   poll           poll fd 0 with a zero timeout (as Rust's start-up does)
 *   fork-wait      fork a child that exits 0, wait for it
 *   clone-newuser  clone with CLONE_NEWUSER (the raw system call)
 *   unshare-user   unshare(CLONE_NEWUSER)
 *   clone3         clone3 of a plain child: 0 when it fails with ENOSYS
 *   socket         socket(AF_UNIX, SOCK_STREAM)
 *
 * Built static by make (build/policy-prog); the Go tests of go/seccomp
 * build it with gcc, static and dynamic.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The exit status of a call that should not have run. */
#define RAN 3

static int compare_ints(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static int sort_and_print(long n)
{
	uint32_t seed = 12345;
	int *a;

	if (n <= 0 || n > 10000000)
		return 2;
	a = malloc((size_t)n * sizeof(*a));
	if (a == NULL)
		return 2;
	for (long i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		a[i] = (int)(seed >> 1);
	}
	qsort(a, (size_t)n, sizeof(*a), compare_ints);
	for (long i = 0; i < n; i++)
		printf("%d\n", a[i]);
	free(a);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int fork_and_wait(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return 1;
	if (pid == 0)
		_exit(0);
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

/* A child that ends at once, reaped; returns RAN when the call ran. */
static int reap(long pid)
{
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	return RAN;
}

static int clone3_plain(void)
{
	struct clone_args args;
	long pid;

	memset(&args, 0, sizeof(args));
	args.exit_signal = SIGCHLD;
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0 && errno == ENOSYS)
		return 0;
	return reap(pid);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	struct pollfd pfd = {.fd = 0, .events = POLLIN};

	if (strcmp(what, "qsort") == 0 && argc > 2)
		return sort_and_print(strtol(argv[2], NULL, 10));
	if (strcmp(what, "poll") == 0)
		return poll(&pfd, 1, 0) >= 0 ? 0 : 1;
	if (strcmp(what, "fork-wait") == 0)
		return fork_and_wait();
	if (strcmp(what, "clone-newuser") == 0)
		return reap(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0));
	if (strcmp(what, "unshare-user") == 0) {
		(void)unshare(CLONE_NEWUSER);
		return RAN;
	}
	if (strcmp(what, "clone3") == 0)
		return clone3_plain();
	if (strcmp(what, "socket") == 0) {
		(void)socket(AF_UNIX, SOCK_STREAM, 0);
		return RAN;
	}
	fprintf(stderr, "policy-prog: unknown mode %s\n", what);
	return 2;
}

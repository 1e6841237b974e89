/* A program built against the version 1 header (abi/cforkexec-v1.h) and
 * run against the current shared library: its struct cfe_config is the
 * first version's size, and it must keep working.  Starts the probe (argv[1])
 * once successfully and once into an error, and checks both. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cforkexec-v1.h"

static int check(int ok, const char *what)
{
	if (!ok)
		fprintf(stderr, "abi v1 caller: %s\n", what);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *args[] = {argc > 1 ? argv[1] : "build/probe", "--exit", "7"};
	const char *missing[] = {"/nonexistent/abi-v1-caller"};
	struct cfe_config c;
	struct cfe_error err;
	int failed = 0;
	int status = 0;
	int32_t pid;

	failed += check(sizeof(c) == CFE_CONFIG_SIZE_VER1, "v1 header's struct is not the v1 size");
	failed += check(cfe_abi_version() >= CFE_ABI_VERSION, "library older than the header");

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.args = args;
	c.args_len = 3;
	c.flags = CFE_FLAG_DROP_CAPS | CFE_FLAG_NO_NEW_PRIVS;
	pid = cfe_start(&c, &err, NULL);
	failed += check(pid > 0, "start with a v1-sized config failed");
	if (pid > 0) {
		failed += check(waitpid(pid, &status, 0) == pid, "waitpid");
		failed += check(WIFEXITED(status) && WEXITSTATUS(status) == 7,
				"the probe did not exit 7");
	}

	c.args = missing;
	c.args_len = 1;
	pid = cfe_start(&c, &err, NULL);
	failed += check(pid == -1 && err.err_no == ENOENT && err.location == CFE_LOC_EXECVE,
			"a missing program is not execve/ENOENT");
	failed += check(strcmp(cfe_location_name(err.location), "execve") == 0,
			"location name of execve");

	/* A v1 caller's unknown flag bits are still refused. */
	c.args = args;
	c.args_len = 3;
	c.flags = 1u << 31;
	pid = cfe_start(&c, &err, NULL);
	failed += check(pid == -1 && err.err_no == EINVAL && err.location == CFE_LOC_NONE,
			"an unknown flag is not refused with EINVAL");
	if (failed == 0)
		printf("abi v1 caller: ok (library ABI %u)\n", cfe_abi_version());
	return failed != 0;
}

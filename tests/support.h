/* Shared helpers of the C integration tests: start the probe program under a
 * configuration and collect the JSON report it prints. */
#ifndef CFE_TEST_SUPPORT_H
#define CFE_TEST_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include <seccomp.h>

#include "cforkexec.h"

/* What one start of the probe produced. */
struct probe_result {
	int32_t pid;	      /* cfe_start's return value */
	struct cfe_error err; /* filled when pid == -1 */
	int status;	      /* wait status of the reaped probe (pid > 0) */
	int out_fd;	      /* the probe's fd number that carried the report */
	char *json;	      /* the report, NUL-terminated ("" when none) */
};

/* The probe binary (environment variable CFE_PROBE, else build/probe). */
const char *probe_path(void);

/* The seccomp policy tests' program, tests/policy_prog.c (environment
 * variable CFE_POLICY_PROG, else build/policy-prog). */
const char *policy_prog_path(void);

/* A configuration that runs the probe with argv {probe, "--out-fd", N} and
 * an empty environment; tests add what they need. */
struct cfe_config probe_config(void);

/*
 * Start the probe with c, read its report from a pipe until EOF and reap it.
 * Unless the test set c->files, the child gets files {/dev/null, pipe, 2}
 * and reports on fd 1; when it did, the pipe is appended as one more entry
 * and the report comes on fd files_len.  c->args is set by this function.
 * extra_args (NULL-terminated, may be NULL) are passed after the out-fd.
 */
void probe_run(struct cfe_config *c, const char *const *extra_args, struct probe_result *r);

void probe_result_free(struct probe_result *r);

/* Everything fd yields until end-of-file, NUL-terminated; free() it. */
char *read_to_end(int fd);

/* The value of an integer field "key":N of the report (first occurrence),
 * or fail the test when absent. */
long long json_int(const char *json, const char *key);

/* Whether the report contains fragment verbatim. */
int json_has(const char *json, const char *fragment);

/* The inode of this process's namespace of the given kind ("user", ...). */
unsigned long long self_ns_inode(const char *kind);

/* Whether a process with this pid still exists (zombie or not). */
int pid_exists(int pid);

/* Skip the current test unless running as root (the suite needs it). */
void require_root(void);

/* Assert a failed start's record (that no child is left is for the test to
 * check: see integ_errors.c). */
#define assert_child_error(r, errnum, loc, idx)                                                    \
	do {                                                                                       \
		assert_int_equal((r)->pid, -1);                                                    \
		assert_int_equal((r)->err.err_no, (errnum));                                       \
		assert_int_equal((r)->err.location, (loc));                                        \
		assert_int_equal((r)->err.index, (idx));                                           \
	} while (0)

/* ctx exported as classic BPF into out (room for cap instructions);
 * releases ctx.  Returns the instruction count. */
uint32_t export_filter(scmp_filter_ctx ctx, struct cfe_bpf_insn *out, size_t cap);

#endif

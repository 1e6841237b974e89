package main

// helpText is what --help prints: every flag with its unit and default, an
// example, what the program sees, the statuses and the exit status.
const helpText = `usage: cfe-run [flags] -- PROGRAM [ARGS...]

Runs PROGRAM once as a programming judge would and prints one JSON line with
the result on standard output.

The program runs in new user, pid, mount, UTS, IPC, network and cgroup
namespaces, as uid 0 / gid 0 of its user namespace, which are --uid / --gid
on the host (65534, "nobody", by default: the process limit and file
ownership count against that id), with no capabilities, no_new_privs, and the
judge's syscall policy.  Its root is a read-only tmpfs holding read-only binds
of /usr /lib /lib64 /bin /etc/alternatives (those that exist on the host), a
tmpfs /tmp (size: --output, 64M without it), and /w, its working directory, a
fresh empty directory on the host (under $TMPDIR, else /tmp) owned by --uid,
removed afterwards.  PROGRAM (a host path; a name without "/" is looked up in
the host's PATH) is copied into the run's directory and bound read-only at
/prog/NAME, executable (0555) when the original has any execute bit, 0444
otherwise; it runs as /prog/NAME with ARGS, environment
PATH=/usr/bin:/bin HOME=/w TMPDIR=/tmp.  There is no /proc, /dev or network.
It is the init (pid 1) of its pid namespace: when it ends, every process it
started ends too, and signals whose default action would end it are dropped
unless the kernel forces them (faults, SIGSYS, SIGKILL), so SIGXCPU and
SIGXFSZ do not reach it: the CPU limit ends it with SIGKILL, and a write past
the output limit fails with EFBIG.

Flags (a flag is -name or --name; values as --name=V or --name V):
  --time S        CPU time limit in seconds, e.g. 1.5 or 500ms (default 1;
                  0: none).  RLIMIT_CPU at the next whole second (the kernel
                  kills the program there), and the measured CPU time
                  compared with S.
  --wall-time S   wall-clock limit in seconds, e.g. 3 (default 2*--time+1;
                  10 when --time is 0; 0: none).  cfe-run kills the run.
  --memory N      memory limit in bytes, suffix K, M or G (powers of 1024),
                  e.g. 256M (default 256M; 0: none).  cgroup v2 memory.max
                  where usable, else RLIMIT_AS.  The stack limit is set to N too.
  --output N      largest file the program may write, bytes with K/M/G
                  (default 64M; 0: none): RLIMIT_FSIZE, for --stdout/--stderr
                  when they are regular files and for files it writes.
  --procs N       processes and threads (default 64; 0: none): cgroup v2
                  pids.max where usable, else RLIMIT_NPROC for the run's user.
  --files N       open files (default 64; 0: none): RLIMIT_NOFILE.
  --uid N --gid N host ids the program runs as (default 65534; not 0).  Runs
                  at once under the same ids are separate for the process
                  limit (it counts per user namespace) but not for files.
  --seccomp P     judge (default): the judge's syscall policy; a syscall
                  outside it kills the program (disallowed_syscall).  It allows
                  what a C/C++ program needs to compute, read, write, open
                  files, allocate and sleep, not fork, clone, socket, ptrace...
                  fork: for solutions that must create processes: judge plus
                  fork, clone (never into new namespaces), wait, pipe, kill.
                  off: no syscall filter at all: the program may use
                  everything the kernel offers (nested namespaces, sockets,
                  ...).  For trusted programs only.
  --stdin FILE    the program's standard input (default /dev/null).
  --stdout FILE   its standard output, created or truncated (default /dev/null).
  --stderr FILE   its standard error, likewise (default /dev/null); the same
                  path as --stdout shares one open file.
  --help          this text.

Example:
  cfe-run --time 1 --memory 64M --stdin in.txt --stdout out.txt -- ./sum

The result (one line of JSON):
  status         ok, time_limit, wall_time_limit, memory_limit, output_limit,
                 runtime_error, disallowed_syscall or runner_error (below)
  exit_code      the program's exit status, null when a signal ended it
  signal         the signal number that ended it, else null
  cpu_time_ms    user + system CPU time of the run
  memory_bytes   peak memory: cgroup memory.peak (cgroup v2), else the
                 rusage maximum resident set, which includes cfe-run's own
                 resident set at the start (see starter_rss_bytes)
  wall_time_ms   from the start to the end of the run
  error          null, or for runner_error: {step, location, index, errno,
                 errno_name, message}; step is the failed step of the start
                 (execve, mount, setrlimt... as the library names them) or a
                 step of cfe-run itself (program, stdin, stdout, workdir,
                 cgroup, seccomp...)
  limits         each limit's value and how it was enforced (cgroup_v2,
                 rlimit_*, timer); cgroup says why cgroup v2 was not used
  memory_source, cpu_source, starter_rss_bytes: where the measures came from

Statuses, first match wins:
  runner_error        the program could not be started (error says where)
  time_limit          SIGXCPU, or CPU time >= --time (whatever the ending)
  wall_time_limit     cfe-run killed it at --wall-time
  output_limit        SIGXFSZ, or --stdout/--stderr (a regular file) reached
                      --output bytes (its write failed with EFBIG)
  disallowed_syscall  SIGSYS under --seccomp=judge or fork
  memory_limit        cgroup v2: an OOM kill in the run's cgroup or peak >=
                      --memory with a failure; rlimits: a failure (signal or
                      non-zero exit) with a peak of at least 3/4 of --memory
                      (RLIMIT_AS makes allocation fail, not the kernel kill)
  runtime_error       any other signal or a non-zero exit (exit_code says which)
  ok                  exit 0 within every limit

Exit status of cfe-run: 0 when a result was printed (whatever its status),
2 on bad usage (message on standard error, no JSON), 1 if the result could
not be written or the run's directory or cgroup could not be removed (said
on standard error).  SIGINT, SIGTERM or SIGHUP kill the run, which then ends
as runner_error with step "interrupted", and is cleaned up.
`

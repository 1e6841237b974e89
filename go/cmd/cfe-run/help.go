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
judge's syscall policy.  Its root is a read-only tmpfs holding read-only,
nosuid, nodev binds of /usr /lib /lib64 /bin /etc/alternatives (those that
exist on the host; mounts the host has below them are remounted read-only,
nosuid, nodev too), a tmpfs /tmp (size: --output, 64M without it) and a tmpfs
/w, its working directory, owned by it (size: --work-size; both at most 4096
files).  Nothing the program writes reaches the host's disk; /w and /tmp are
memory, bounded by their sizes, not by --memory under rlimits.  PROGRAM (a
name with "/" is a host path; a bare name is looked up in the host's PATH
only, and is an error when not there) and each --file are copied into the
run's host directory (under $TMPDIR, else /tmp, which must not be mounted
noexec) and bound read-only at /prog/NAME, executable (0555) when the
original has any execute bit, 0444 otherwise; it runs as /prog/NAME with
ARGS, environment PATH=/usr/bin:/bin HOME=/w TMPDIR=/tmp.  There is no /proc,
/dev or network.  It gets no fd but its standard input, output and error.
It is the init (pid 1) of its pid namespace: when it ends, every process it
started ends too, and signals whose default action would end it are dropped
unless the kernel forces them (faults, SIGSYS, SIGKILL), so SIGXCPU and
SIGXFSZ do not reach it: the CPU limit ends it with SIGKILL, and a write past
the output limit fails with EFBIG.  For the same reason raise() of such a
signal does nothing, and abort() or a failed assert() (SIGABRT dropped, then
glibc's last resort, a faulting instruction) ends it with SIGSEGV (signal 11)
on x86-64: a runtime_error with signal 11, never 6.  It dies with cfe-run,
whatever kills cfe-run (a parent-death SIGKILL).

Flags (a flag is -name or --name; values as --name=V or --name V):
  --time S        CPU time limit in seconds, e.g. 1.5 or 500ms (default 1;
                  0: none; a value below 1ms other than 0 is refused).  RLIMIT_CPU at the next whole second (the kernel
                  kills the program there), and the measured CPU time
                  compared with S.
  --wall-time S   wall-clock limit in seconds, e.g. 3 (default 2*--time+1;
                  10 when --time is 0; 0: none; below 1ms refused).
                  cfe-run kills the run.
  --memory N      memory limit in bytes, suffix K, M or G (powers of 1024),
                  e.g. 256M (default 256M; 0: none).  cgroup v2 memory.max
                  where usable, else RLIMIT_AS.  The stack limit is set to N
                  too; with 0 it is left as cfe-run's own (often 8M).
  --output N      largest file the program may write, bytes with K/M/G
                  (default 64M; 0: none): RLIMIT_FSIZE, for --stdout/--stderr
                  when they are regular files and for files it writes.
  --procs N       processes and threads (default 64; 0: none): cgroup v2
                  pids.max where usable, else RLIMIT_NPROC for the run's user.
  --files N       open files (default 64; 0: none): RLIMIT_NOFILE.
  --work-size N   size of the /w tmpfs, bytes with K/M/G (default 64M; not 0).
  --file PATH     copy the regular file PATH to /prog/NAME (NAME its base
                  name), read-only, for the program to read: a script, an
                  input (may repeat; names must differ from each other and
                  from PROGRAM's).  E.g. --file sol.py -- python3 /prog/sol.py
  --cgroup DIR    make the run's cgroup under DIR, a cgroup v2 directory the
                  operator delegated, with memory and pids in its
                  cgroup.subtree_control; a DIR without them is a
                  runner_error (step cgroup), not a fallback to rlimits.
                  Without --cgroup, cfe-run tries its own cgroup v2 cgroup
                  (which works only where that cgroup may delegate, not in a
                  cgroup holding processes) and says in limits.cgroup why not.
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
  --stdin FILE    the program's standard input (default /dev/null): a regular
                  file or a character device that is not a terminal (a
                  program could reconfigure a terminal); a FIFO is refused.
  --stdout FILE   its standard output, created or truncated (default
                  /dev/null): a regular file or /dev/null, never the --stdin
                  file nor cfe-run's own standard output (/dev/stdout: the
                  JSON line's); FIFOs, pipes and terminals are refused, as
                  RLIMIT_FSIZE would not bound them.
  --stderr FILE   its standard error, likewise (default /dev/null); the same
                  file as --stdout (under any name) shares one open file.
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
                 step of cfe-run itself (program, file, stdin, stdout, workdir,
                 cgroup, seccomp...)
  limits         each limit's value and how it was enforced (cgroup_v2,
                 rlimit_*, timer, tmpfs for work_bytes); cgroup says why
                 cgroup v2 was not used
  memory_source, cpu_source, starter_rss_bytes: where the measures came from

Statuses, first match wins:
  runner_error        the program could not be started (error says where)
  time_limit          SIGXCPU, or CPU time >= --time (whatever the ending)
  wall_time_limit     cfe-run killed it at --wall-time
  output_limit        SIGXFSZ, or --stdout/--stderr (a regular file) reached
                      --output bytes (its write failed with EFBIG)
  disallowed_syscall  SIGSYS under --seccomp=judge or fork
  memory_limit        cgroup v2: an OOM kill in the run's cgroup or peak >=
                      --memory with a failure.  rlimits (RLIMIT_AS makes an
                      allocation fail, not the kernel kill): PROGRAM's static
                      size (its ELF PT_LOAD segments) plus 1 MiB is over
                      --memory: not started (memory_source elf_static_size);
                      or a non-zero exit or SIGSEGV/SIGBUS/SIGABRT/SIGKILL
                      with the program's own peak (memory_bytes when above
                      starter_rss_bytes + 1 MiB) at least --memory minus
                      max(--memory/8, 4M), or, with no peak of its own, a
                      signal while its static size was that near.  One
                      request larger than what is left (new int[1e8] under
                      256M) fails without a peak: runtime_error.
  runtime_error       any other signal or a non-zero exit (exit_code says which)
  ok                  exit 0 within every limit

Exit status of cfe-run: 0 when a result was printed (whatever its status),
2 on bad usage (message on standard error, no JSON), 1 if the result could
not be written or the run's directory or cgroup could not be removed (said
on standard error).  SIGINT, SIGTERM or SIGHUP kill the run, which then ends
as runner_error with step "interrupted", and is cleaned up (also when they
come before the start).  SIGKILL of cfe-run kills the run too, but leaves its
host directory ($TMPDIR/cfe-run-*, PROGRAM's and the --file copies): the next
cfe-run with the same $TMPDIR removes it.
`

/* Counting what this process holds, from /proc: its children (zombies
 * included), the suites' proof that a start left no process behind, and
 * the entries and lines that show fds, threads and mappings.  No cmocka
 * here, so that the soak program can use it too. */
#ifndef CFE_TEST_CHILDREN_H
#define CFE_TEST_CHILDREN_H

/* How many processes (zombies included) have this process as parent, or
 * -1 when /proc cannot be read. */
int count_own_children(void);

/* The entries of a directory (not "." or ".."), or -1. */
int count_entries(const char *dir);

/* The lines of a file, or -1. */
int count_lines(const char *path);

#endif

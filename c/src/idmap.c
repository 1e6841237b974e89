/* Writing a child's user-namespace id maps from the parent, which holds
 * the capabilities in the original namespace that the child lacks. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* The kernel reads at most one page of map text. */
#define IDMAP_TEXT_MAX 4096

long cfe_idmap_format(const struct cfe_id_map *maps, uint32_t n, uint32_t self_id, char *buf,
		      size_t cap)
{
	size_t len = 0;
	struct cfe_id_map self = {.container_id = 0, .host_id = self_id, .size = 1};

	if (maps == NULL) {
		maps = &self;
		n = 1;
	}
	for (uint32_t i = 0; i < n; i++) {
		int w = snprintf(buf + len, cap - len, "%u %u %u\n", maps[i].container_id,
				 maps[i].host_id, maps[i].size);

		if (w < 0 || (size_t)w >= cap - len)
			return -1;
		len += (size_t)w;
	}
	return (long)len;
}

static int write_proc_file(int dir, const char *name, const char *text, size_t len)
{
	int fd = openat(dir, name, O_WRONLY | O_CLOEXEC);
	int err = 0;
	ssize_t written;

	if (fd < 0)
		return errno;
	written = write(fd, text, len);
	if (written < 0)
		err = errno;
	else if ((size_t)written != len)
		err = EIO;
	if (close(fd) != 0 && err == 0)
		err = errno;
	return err;
}

static int write_map(int dir, const char *name, const struct cfe_id_map *maps, uint32_t n,
		     uint32_t self_id)
{
	char text[IDMAP_TEXT_MAX];
	long len = cfe_idmap_format(maps, n, self_id, text, sizeof(text));

	if (len < 0)
		return EINVAL;
	return write_proc_file(dir, name, text, (size_t)len);
}

int cfe_idmap_write(const struct cfe_config *c, int pid)
{
	char path[32];
	int dir, err;
	/* setgroups must be denied before an unprivileged gid_map is accepted;
	 * it stays allowed only where the caller maps groups and asks for it. */
	int allow = c->gid_maps != NULL && (c->flags & CFE_FLAG_GID_MAPPINGS_ENABLE_SETGROUPS);
	const char *setgroups = allow ? "allow" : "deny";

	snprintf(path, sizeof(path), "/proc/%d", pid);
	dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return errno;
	err = write_map(dir, "uid_map", c->uid_maps, c->uid_maps_len, (uint32_t)geteuid());
	if (err == 0)
		err = write_proc_file(dir, "setgroups", setgroups, strlen(setgroups));
	if (err == 0)
		err = write_map(dir, "gid_map", c->gid_maps, c->gid_maps_len, (uint32_t)getegid());
	close(dir);
	return err;
}

/* Reading the runtime fault file, see faultfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "faultfile.h"
#include "log.h"

/*
 * Reads path and parses it into *f (rng 0).  A missing file means all
 * off.  Returns 0, or -1 with the reason in err and *f untouched.
 */
int
faultfile_load(const char *path, struct link_fault *f, char *err,
    size_t errlen)
{
	char	 text[FAULTFILE_MAX + 1];
	size_t	 len = 0;
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return link_fault_parse("", 0, f, err, errlen);
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (len < sizeof(text) && (n = read(fd, text + len,
	    sizeof(text) - len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		len += (size_t)n;
	}
	close(fd);
	if (len > FAULTFILE_MAX) {
		snprintf(err, errlen, "%s: longer than %d bytes", path,
		    FAULTFILE_MAX);
		return -1;
	}
	return link_fault_parse(text, len, f, err, errlen);
}

/*
 * The SIGUSR2 step: loads path into *f and logs the outcome once.
 * Returns 0 when *f holds the new settings, -1 (logged, *f untouched)
 * when there is no fault file or it is unreadable or malformed.
 */
int
faultfile_reload(const char *path, struct link_fault *f)
{
	char	 err[256], text[96];

	if (path == NULL || path[0] == '\0') {
		log_warn("faults", "error=\"SIGUSR2 but no fault_file set: "
		    "ignored\"");
		return -1;
	}
	if (faultfile_load(path, f, err, sizeof(err)) != 0) {
		/* The reason may quote the file: keep the log line parseable. */
		for (char *p = err; *p != '\0'; p++)
			if (*p == '"' || *p == '\\')
				*p = '\'';
		log_error("faults", "error=\"%s\" kept=yes", err);
		return -1;
	}
	link_fault_format(f, text, sizeof(text));
	log_info("faults", "%s", text);
	return 0;
}

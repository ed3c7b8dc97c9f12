/*
 * Runtime link faults (tests only, issue 13's chaos test): the config key
 * fault_file names a file holding one line such as
 * "drop_pct=20 delay_ms=50 cut_ms=3000" (see link_fault_parse; empty or
 * missing = all off).  On SIGUSR2 a process calls faultfile_reload from
 * its event loop and applies the result to every link session it has and
 * will make (abc-worker: worker/server.c; abc-web: client_set_fault).
 * Each reload logs "event=faults drop_pct=.. delay_ms=.. cut_ms=..", or an
 * error, in which case the faults in force stay.
 *
 * Memory: nothing is kept; *f is the caller's.
 */
#ifndef ABC_FAULTFILE_H
#define ABC_FAULTFILE_H

#include <stddef.h>

#include "abc_link.h"

#define FAULTFILE_MAX	1024	/* bytes read; a longer file is refused */

int	faultfile_load(const char *path, struct link_fault *f, char *err,
	    size_t errlen);
int	faultfile_reload(const char *path, struct link_fault *f);

#endif /* ABC_FAULTFILE_H */

/*
 * fcgistatic: the baseline of row c3 in tests/bench/run.sh, the smallest
 * threaded libfcgi responder: it answers every request with the same
 * bytes, read once from a file at start (a CGI response as abc-web
 * writes it: "Status: ...", headers, an empty line, the body).  Built the
 * way abc-web accepts (web/main.c): one FastCGI Unix socket, backlog 128,
 * THREADS threads each in FCGX_Accept_r, one request at a time.  What
 * abc-web spends beyond this is its own work: routing, the session and
 * the cache lookups, the templates, its log line.
 *
 *   fcgistatic --socket PATH --threads N --response FILE
 *
 * Runs until SIGTERM or SIGINT (blocked in every thread and waited for in
 * main: libfcgi catches SIGTERM itself and would only stop accepting).
 * Memory: the response is read into one buffer that lives until exit; each
 * thread owns its FCGX_Request.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcgiapp.h>

struct responder {
	int	 sock;
	char	*resp;
	int	 len;
};

static void *
serve(void *arg)
{
	struct responder	*r = arg;
	FCGX_Request		 req;

	if (FCGX_InitRequest(&req, r->sock, 0) != 0) {
		fprintf(stderr, "fcgistatic: FCGX_InitRequest failed\n");
		return NULL;
	}
	while (FCGX_Accept_r(&req) == 0) {
		(void)FCGX_PutStr(r->resp, r->len, req.out);
		FCGX_Finish_r(&req);
	}
	FCGX_Free(&req, 1);
	return NULL;
}

/* Reads all of path into a new buffer; exits on failure. */
static char *
slurp(const char *path, int *len)
{
	FILE	*f = fopen(path, "rb");
	char	*buf;
	long	 n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    n > 64 * 1024 * 1024 || fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "fcgistatic: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	if ((buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "fcgistatic: cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	*len = (int)n;
	return buf;
}

int
main(int argc, char *argv[])
{
	struct responder	 r;
	const char		*path = NULL, *file = NULL;
	pthread_t		*th;
	sigset_t		 stop;
	int			 i, sig, threads = 8;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--socket") == 0)
			path = argv[i + 1];
		else if (strcmp(argv[i], "--threads") == 0)
			threads = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--response") == 0)
			file = argv[i + 1];
	}
	if (path == NULL || file == NULL || threads < 1 || threads > 256 ||
	    i != argc) {
		fprintf(stderr, "usage: fcgistatic --socket PATH --threads N "
		    "--response FILE\n");
		return 2;
	}
	r.resp = slurp(file, &r.len);
	if (FCGX_Init() != 0 || (unlink(path) == -1 && errno != ENOENT) ||
	    (r.sock = FCGX_OpenSocket(path, 128)) == -1) {
		fprintf(stderr, "fcgistatic: cannot listen on %s\n", path);
		return 1;
	}
	(void)chmod(path, 0660);
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &stop, NULL) != 0 ||
	    (th = calloc((size_t)threads, sizeof(*th))) == NULL)
		return 1;
	for (i = 0; i < threads; i++)
		if (pthread_create(&th[i], NULL, serve, &r) != 0) {
			fprintf(stderr, "fcgistatic: pthread_create failed\n");
			return 1;
		}
	(void)sigwait(&stop, &sig);
	(void)unlink(path);
	return 0;	/* the threads end with the process */
}

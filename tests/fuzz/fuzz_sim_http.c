/*
 * libFuzzer target for the HTTP request parser of abc-bitcoind-sim.
 * Every input is parsed as a stream of pipelined requests; each result
 * is checked against the parser's contract, and the Basic decoder and
 * response writer run on what was parsed.  Seeds: corpus/sim_http/.
 */
/* fuzz-sources: deploy/bitcoind-sim/sim_http.c common/xmalloc.c */
/* fuzz-libs: -lcrypto */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim_http.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort (a finding) unless the parse result honours the contract. */
static void
check_req(const struct sim_http_req *req, int rc, const char *buf,
    size_t len)
{
	if (rc == SIM_HTTP_DONE) {
		if (req->total_len == 0 || req->total_len > len ||
		    req->body != buf + req->head_len ||
		    req->head_len + req->body_len != req->total_len ||
		    req->head_len > SIM_HTTP_MAX_HEADER ||
		    req->body_len > SIM_HTTP_MAX_BODY ||
		    req->method_len == 0 || req->target_len == 0 ||
		    req->method < buf || req->target < buf ||
		    req->target + req->target_len > buf + req->head_len)
			abort();
		if (req->auth != NULL && (req->auth < buf ||
		    req->auth + req->auth_len > buf + req->head_len))
			abort();
	} else if (rc == SIM_HTTP_ERROR) {
		if (req->error_status != 400 && req->error_status != 413 &&
		    req->error_status != 501 && req->error_status != 505)
			abort();
	} else if (rc != SIM_HTTP_MORE)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sim_http_req	 req;
	struct sim_buf		 out;
	char			*buf, dec[SIM_HTTP_MAX_HEADER];
	size_t			 off, declen;
	int			 rc;

	/* A private copy, so reads past "size" show up under ASan. */
	buf = malloc(size == 0 ? 1 : size);
	if (buf == NULL)
		return 0;
	if (size > 0)
		memcpy(buf, data, size);
	sim_buf_init(&out);
	off = 0;
	for (;;) {
		rc = sim_http_parse(buf + off, size - off, &req);
		check_req(&req, rc, buf + off, size - off);
		if (rc != SIM_HTTP_DONE)
			break;
		if (req.auth != NULL && sim_http_basic_decode(req.auth,
		    req.auth_len, dec, sizeof(dec), &declen) == 0 &&
		    (declen >= sizeof(dec) || dec[declen] != '\0'))
			abort();
		sim_http_write_response(&out, req.minor, 200, NULL,
		    "application/json", req.body, req.body_len,
		    req.keepalive, sim_http_method_is(&req, "HEAD"));
		off += req.total_len;
	}
	sim_buf_consume(&out, out.len / 2);
	sim_buf_clear(&out);
	free(buf);
	return 0;
}

/* fuzz-sources: worker/btc.c common/buf.c common/xmalloc.c common/log.c common/clock.c */
/* fuzz-libs: -lcurl -ljson-c */
/*
 * libFuzzer target for btc_parse_response and btc_parse_batch, the
 * readers of bitcoind's JSON-RPC response envelope (one answer, or a
 * batch's array).  Input layout:
 *
 *	byte 0		HTTP status, chosen from fuzz_status[] (modulo), and
 *			(byte 0 / 10) % 5 the batch's request count
 *	bytes 1-	the response body
 *
 * An empty input is parsed as an empty body with status 200.  The result
 * is checked against the parser's contract; a violation aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "btc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const long fuzz_status[] = {
	200, 401, 403, 404, 405, 400, 500, 503, 204, 0,
};

/*
 * The batch contract: every message terminated; on failure no result
 * and a reason in outs[0]; on success each reply a result or an error.
 */
static void
fuzz_batch(const char *body, size_t len, long status, size_t n)
{
	struct btc_result	 outs[4];
	size_t			 i;
	int			 rc;

	memset(outs, 0x5a, sizeof(outs));
	rc = btc_parse_batch(body, len, status, n, outs);
	if (rc == -1 && n > 0 && outs[0].message[0] == '\0')
		abort();
	for (i = 0; i < n; i++) {
		if (memchr(outs[i].message, '\0', sizeof(outs[i].message)) ==
		    NULL)
			abort();
		if (rc == -1 && outs[i].result != NULL)
			abort();
		if (rc == 0 && outs[i].result != NULL && outs[i].rpc_code != 0)
			abort();
		if (rc == 0 && outs[i].result != NULL)
			(void)json_object_to_json_string_ext(outs[i].result,
			    JSON_C_TO_STRING_PLAIN);
		if (rc != 0 && rc != -1)
			abort();
		btc_result_clear(&outs[i]);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct btc_result	 r;
	const char		*body = "";
	size_t			 len = 0;
	long			 status = 200;
	int			 rc;

	if (size > 0) {
		status = fuzz_status[data[0] %
		    (sizeof(fuzz_status) / sizeof(fuzz_status[0]))];
		body = (const char *)data + 1;
		len = size - 1;
	}
	memset(&r, 0x5a, sizeof(r));
	rc = btc_parse_response(body, len, status, &r);

	/* The message is always a terminated string. */
	if (memchr(r.message, '\0', sizeof(r.message)) == NULL)
		abort();
	if (rc == 0) {
		/* Success: no code, no leftover message. */
		if (r.rpc_code != 0 || r.message[0] != '\0')
			abort();
		/* The result is usable after the envelope is gone. */
		if (r.result != NULL)
			(void)json_object_to_json_string_ext(r.result,
			    JSON_C_TO_STRING_PLAIN);
	} else if (rc == -1) {
		/* Failure: never a result; our own failures say why. */
		if (r.result != NULL || (r.rpc_code == 0 &&
		    r.message[0] == '\0'))
			abort();
		/* Empty bodies are never parsed, and only 401 says auth. */
		if (len == 0 && (r.rpc_code != 0 ||
		    (status == 401) != (strstr(r.message, "auth") != NULL)))
			abort();
	} else
		abort();
	btc_result_clear(&r);
	if (r.result != NULL || r.rpc_code != 0)
		abort();
	fuzz_batch(body, len, status, size > 0 ? (data[0] / 10) % 5 : 1);
	return 0;
}

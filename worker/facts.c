/* Status facts of abc-worker, see facts.h. */
#include "btc.h"
#include "clock.h"
#include "facts.h"

/* Starts counting uptime from now. */
void
facts_init(struct facts *f, struct btc *btc)
{
	f->btc = btc;
	f->started_ms = clock_real_ms();
}

/*
 * Adds "btc" (state, up, height, since_ms, detail) and "worker_uptime_ms"
 * to rep; arg is a struct facts (an ops_status_fn).
 */
void
facts_fill(void *arg, struct json_object *rep)
{
	struct facts		*f = arg;
	struct btc_status	 st;
	struct json_object	*b;

	btc_status_get(f->btc, &st);
	b = json_object_new_object();
	json_object_object_add(b, "state",
	    json_object_new_string(btc_state_name(st.state)));
	json_object_object_add(b, "up",
	    json_object_new_boolean(st.state == BTC_UP));
	json_object_object_add(b, "height", json_object_new_int64(st.height));
	json_object_object_add(b, "since_ms",
	    json_object_new_int64(st.since_ms));
	json_object_object_add(b, "detail", json_object_new_string(st.detail));
	json_object_object_add(rep, "btc", b);
	json_object_object_add(rep, "worker_uptime_ms",
	    json_object_new_int64(clock_real_ms() - f->started_ms));
}

-- The price of a campaign's next slot at p_t (ms), given its minimum and
-- the last purchase (price p_last, bought at p_t0, its slot ending at
-- p_t1): common/price.c's price_at_ms in the same integers, so the worker
-- and the database never disagree (tests/it/t_083_purchase_sql.sh checks
-- 10 000 random cases against the C function).  numeric holds the 128-bit
-- intermediate product.
-- PL/pgSQL, not SQL (issue 12): an SQL function with a FROM clause cannot
-- be inlined, so each call from camp_purchase was planned anew (19 us of
-- a purchase); these assignments are simple expressions, planned once.
CREATE OR REPLACE FUNCTION camp_price_at(p_min bigint, p_last bigint,
    p_t0 bigint, p_t1 bigint, p_t bigint) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
	cap	CONSTANT bigint := 2100000000000000;
	lo	bigint := least(greatest(p_min, 0), cap);
	p0	bigint := least(greatest(p_last, 0), cap);
	t	bigint := greatest(p_t, p_t0);
BEGIN
	IF p0 > cap / 2 THEN
		p0 := cap;
	ELSE
		p0 := 2 * p0;
	END IF;
	IF t >= p_t1 OR p0 <= lo THEN
		RETURN lo;
	END IF;
	RETURN lo + div((p0 - lo)::numeric * (p_t1::numeric - t) +
	    (p_t1::numeric - p_t0) - 1, p_t1::numeric - p_t0)::bigint;
END;
$$;

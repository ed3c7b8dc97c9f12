-- The price of a campaign's next slot at p_t (ms), given its minimum and
-- the last purchase (price p_last, bought at p_t0, its slot ending at
-- p_t1): common/price.c's price_at_ms in the same integers, so the worker
-- and the database never disagree (tests/it/t_083_purchase_sql.sh checks
-- 10 000 random cases against the C function).  numeric holds the 128-bit
-- intermediate product.
CREATE OR REPLACE FUNCTION camp_price_at(p_min bigint, p_last bigint,
    p_t0 bigint, p_t1 bigint, p_t bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
	SELECT CASE WHEN t >= p_t1 OR p0 <= lo THEN lo
	    ELSE lo + div((p0 - lo)::numeric * (p_t1::numeric - t) +
		(p_t1::numeric - p_t0) - 1, p_t1::numeric - p_t0)::bigint
	    END
	FROM (SELECT least(greatest(p_min, 0), cap) AS lo,
		CASE WHEN least(greatest(p_last, 0), cap) > cap / 2 THEN cap
		ELSE 2 * least(greatest(p_last, 0), cap) END AS p0,
		greatest(p_t, p_t0) AS t
	    FROM (SELECT 2100000000000000::bigint AS cap) k) v;
$$;

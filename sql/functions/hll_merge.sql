-- Two HyperLogLog sketches of unique viewers (slot_uniques.regs, issue 15)
-- merged: the maximum of each register.  A missing one is the other.
CREATE OR REPLACE FUNCTION hll_merge(a bytea, b bytea) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN a IS NULL THEN b WHEN b IS NULL THEN a ELSE
	    (SELECT decode(string_agg(lpad(to_hex(greatest(get_byte(a, i),
	    get_byte(b, i))), 2, '0'), '' ORDER BY i), 'hex')
	    FROM generate_series(0, length(a) - 1) AS i) END;
$$;

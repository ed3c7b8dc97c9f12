-- Admin: lets a withdrawal that waits for approval be paid.
CREATE OR REPLACE FUNCTION wd_approve(p_id bigint) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE withdrawals SET status = 'queued'
	WHERE id = p_id AND status = 'approval';
	IF NOT FOUND THEN
		RAISE EXCEPTION 'withdrawal % does not wait for approval', p_id;
	END IF;
	RETURN format('withdrawal %s approved: queued for the payer', p_id);
END;
$$;

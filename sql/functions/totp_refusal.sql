-- The failed reply for a verdict of totp_consume other than 'ok'/'off'.
CREATE OR REPLACE FUNCTION totp_refusal(p_verdict text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE p_verdict
	WHEN 'used' THEN jsonb_build_object('ok', false, 'code', 'code_used',
	    'error', 'That code was used already; wait for the next one '
	    'of your authenticator app.')
	WHEN 'needed' THEN jsonb_build_object('ok', false, 'code',
	    'totp_needed', 'error', 'Enter the 6-digit code of your '
	    'authenticator app.')
	ELSE jsonb_build_object('ok', false, 'code', 'bad_code',
	    'error', 'That code is wrong.')
	END;
$$;

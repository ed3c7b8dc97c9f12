-- requires: acct_logout_all

-- A password change: the new hash, every other session ended, an event.
CREATE OR REPLACE FUNCTION acct_password(p_user bigint, p_hash bytea, p_salt bytea,
    p_n bigint, p_r integer, p_p integer, p_keep bytea) RETURNS void
LANGUAGE sql AS $$
	UPDATE users SET pw_hash = p_hash, pw_salt = p_salt, pw_n = p_n,
	    pw_r = p_r, pw_p = p_p
	WHERE id = p_user;
	SELECT acct_logout_all(p_user, p_keep, 'password_change');
$$;

-- Quotas per user (issue 10): campaigns and ads, and the bytes of the ads'
-- images.  camp_create and ad_create take the limits as parameters now, so
-- their old signatures go; counting a seller's campaigns needs an index.
DROP FUNCTION IF EXISTS camp_create(text, bigint, bigint, text, bigint, text,
    text, integer, integer, bigint, bigint);
DROP FUNCTION IF EXISTS ad_create(bigint, text, text, text, text, text,
    integer, integer, bytea);
CREATE INDEX campaigns_seller ON campaigns (seller_id);

-- A purchase is one call now (sql/functions/camp_purchase.sql: session,
-- stored answer, price at the database's clock, sale); the old two-step
-- camp_buy, which took a price the worker had computed, goes.
DROP FUNCTION IF EXISTS camp_buy(text, bigint, bigint, text, bigint, bigint,
    integer, bigint, bigint, bigint, bigint, bigint);

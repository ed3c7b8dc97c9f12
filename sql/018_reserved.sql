-- Placeholder on branch moderation only: migration 018 belongs to another
-- branch of issue 15, and migrate applies numbers without gaps, so this
-- empty file lets 019_moderation.sql apply on this branch alone.  Drop it
-- at merge, when the real 018 lands.
SELECT 1;

-- What abc-web counts (issue 15): impressions and clicks per sold slot and
-- minute.  abc-web counts in memory and flushes totals per (slot, minute)
-- over the link in one exactly-once request, which adds to these rows; so
-- a view never costs a database write of its own.  minute_ms is the start
-- of the minute (Unix ms).  Dashboards read it; a history purge never
-- touches it (the figures are the seller's business records, not account
-- history).
CREATE TABLE slot_stats (
	campaign_id	bigint NOT NULL,
	idx		integer NOT NULL,
	minute_ms	bigint NOT NULL
			    CHECK (minute_ms >= 0 AND minute_ms % 60000 = 0),
	impressions	bigint NOT NULL DEFAULT 0 CHECK (impressions >= 0),
	clicks		bigint NOT NULL DEFAULT 0 CHECK (clicks >= 0),
	PRIMARY KEY (campaign_id, idx, minute_ms),
	FOREIGN KEY (campaign_id, idx) REFERENCES slots (campaign_id, idx)
);

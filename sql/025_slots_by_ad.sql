-- /my/ads and the buy form read an ad's slots (issue 15's dashboards:
-- where and when each ad ran); without this index each read scanned
-- slots whole.
CREATE INDEX slots_ad ON slots (ad_id);

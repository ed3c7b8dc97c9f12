-- Campaign reads that stay small however long a campaign lives: a page
-- needs the slots still to come (the queue), the one on display and, for
-- the price and the chart, the recent past.  camp_state keeps the last
-- 200 slots; the home page's list keeps only what is on display or queued
-- and the last purchase (which sets the price).

-- Its functions live in sql/functions/ (one file each, applied after every
-- numbered migration): camp_state_slots, camp_state, camp_list.

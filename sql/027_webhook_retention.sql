-- Webhook history is kept for a while, not for ever (issue 15's leftover: a
-- list must not grow without bound): sql/functions/webhook_retain.sql
-- deletes old finished deliveries, then the events left without any.
-- Deleting an event checks webhook_deliveries' foreign key, and finding
-- the events left without deliveries probes it too: both need an index
-- on event_id, which the table did not have.  Ended deliveries are found
-- by when they last changed.
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
CREATE INDEX webhook_deliveries_ended ON webhook_deliveries
    (coalesce(last_at, next_at)) WHERE status <> 'pending';
CREATE INDEX webhook_events_created ON webhook_events (created_at);

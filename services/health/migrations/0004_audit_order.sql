-- Entries written within the same millisecond keep the order they were written in: `at` alone
-- ties, and a random id breaks ties at random.
ALTER TABLE audit_events ADD COLUMN seq bigserial;
DROP INDEX audit_events_subject;
CREATE INDEX audit_events_subject ON audit_events (subject_user_id, at DESC, seq DESC);

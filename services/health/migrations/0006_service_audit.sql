-- Internal services' access to a person's record is audited too, under the service's name (the
-- one its service token proved, not the one its request claimed).
ALTER TABLE audit_events ADD COLUMN actor_service text;

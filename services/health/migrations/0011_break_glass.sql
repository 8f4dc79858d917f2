-- An admin reaches a person's health data only in break-glass mode, with a reason; the reason is
-- kept with each access it was given for.
ALTER TABLE audit_events ADD COLUMN break_glass_reason text;

-- Whether a medication's doses are reminded. "Stop reminding me about vitamin D" turns this off and
-- leaves everything else as it was: the medication stays active, its schedule still defines the
-- doses that adherence counts, and its dose log keeps its history.
ALTER TABLE medications ADD COLUMN reminders_enabled boolean NOT NULL DEFAULT true;

-- Reminders scan active scheduled medications with reminders on, across people.
DROP INDEX IF EXISTS medications_scheduled;
CREATE INDEX medications_scheduled ON medications (id) WHERE active AND NOT as_needed AND reminders_enabled;

-- Targeted reconciles: a `medication.changed` or `dose.logged` event names the person, and only
-- that person's reminders are listed again and rewritten; the full reconcile of everyone becomes a
-- rare safety net. Every listing, full or of a few people, takes a number from this sequence
-- before it begins: a listing with a higher number saw the schedules at least as late.
CREATE SEQUENCE reminder_listing_seq;
-- Whose reminders were last written from which listing: 'all' for the last full reconcile, else
-- a person reconciled alone since. A write never replaces what a later-begun listing wrote (a
-- full reconcile takes minutes at 100,000 people; a person's edit meanwhile is written at once
-- and must survive the full pass that listed it before). Rows of people are dropped once a full
-- reconcile that began after them is written.
CREATE TABLE reminder_listings (
  scope text PRIMARY KEY,
  listed_seq bigint NOT NULL
);
-- People whose schedules changed and are not reconciled yet, written by the event consumer and
-- taken by any replica's scheduler (claimed for a while, so that a process that dies holding them
-- only delays them). changed_seq: the listing sequence when the change was heard of; a listing
-- that began after it covers it.
CREATE TABLE reminder_changes (
  user_id uuid PRIMARY KEY,
  changed_seq bigint NOT NULL,
  claimed_until timestamptz
);
-- A person's reminders, for the targeted reconcile's upsert and its cancel step.
CREATE INDEX reminders_patient ON reminders (patient_user_id, fire_at);

-- Where each person lives, as geocoded when they said it. The person's time zone stays in their
-- health profile; time_zone here is the place's own, as geocoding reported it, which Open-Meteo
-- uses to cut the forecast into local days.

CREATE TABLE places (
  user_id uuid PRIMARY KEY,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 300),
  latitude double precision NOT NULL CHECK (latitude BETWEEN -90 AND 90),
  longitude double precision NOT NULL CHECK (longitude BETWEEN -180 AND 180),
  country_code text NOT NULL DEFAULT '',
  time_zone text NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL DEFAULT now()
);

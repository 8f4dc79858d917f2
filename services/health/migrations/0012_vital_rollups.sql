-- Hourly rollups of vital readings, so a summary reads at most a few hundred small rows whatever
-- the number of readings (issue 15, part 3), and the readings that need attention, so its flags
-- are read without reading every reading.
--
-- Grain: one row per person, kind and UTC hour. A UTC hour lies within one local day in every
-- zone whose offset is a whole number of hours, so a local-day or ISO-week bucket is a sum of
-- whole hours in any such zone, and a move to another zone needs no rebuild. Summaries read the
-- hours that straddle a local midnight (zones at :30 or :45) and the partial hours at the ends of
-- a period from the readings themselves.
--
-- Sums are exact (numeric): every double is a finite decimal (`vital_exact`), so adding a
-- reading and taking it away again leaves the row as it was, and a sum of hourly sums equals the
-- sum of the readings whatever the order they are added in. Times are epoch milliseconds.

-- The exact decimal value of a double. A plain cast keeps only 15 significant digits.
CREATE FUNCTION vital_exact(x double precision) RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT trim_scale(CASE WHEN e >= 0 THEN m * 2::numeric ^ e ELSE m * 5::numeric ^ (-e) * ('1e' || e)::numeric END)
  FROM (
    SELECT (CASE WHEN bits < 0 THEN -1 ELSE 1 END) * (CASE WHEN ex = 0 THEN fr ELSE fr + 4503599627370496 END)::numeric AS m,
           CASE WHEN ex = 0 THEN -1074 ELSE ex - 1075 END AS e
    FROM (
      SELECT bits, (bits >> 52) & 2047 AS ex, bits & 4503599627370495 AS fr
      FROM (SELECT ('x' || encode(float8send(x), 'hex'))::bit(64)::bigint AS bits) AS raw
    ) AS parts
  ) AS mantissa
$$;

CREATE TABLE vital_rollups (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind text NOT NULL,
  hour_start timestamptz NOT NULL,
  readings integer NOT NULL CHECK (readings > 0),
  first_ms bigint NOT NULL,
  last_ms bigint NOT NULL,
  -- Sums of t and t² (t: epoch ms), and per series of y and t·y, for least-squares trends.
  sum_t numeric NOT NULL,
  sum_tt numeric NOT NULL,
  value_sum numeric,
  value_min double precision,
  value_max double precision,
  value_sum_ty numeric,
  systolic_sum numeric,
  systolic_min double precision,
  systolic_max double precision,
  systolic_sum_ty numeric,
  diastolic_sum numeric,
  diastolic_min double precision,
  diastolic_max double precision,
  diastolic_sum_ty numeric,
  PRIMARY KEY (user_id, kind, hour_start)
);

-- Readings with at least one single-reading attention flag (the rules of vital-attention.ts).
-- Their values are copied (readings never change), so flags need no join with `vitals`.
CREATE TABLE vital_attention (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind text NOT NULL,
  measured_at timestamptz NOT NULL,
  vital_id uuid NOT NULL,
  value double precision,
  systolic double precision,
  diastolic double precision,
  PRIMARY KEY (user_id, kind, measured_at, vital_id)
);

-- The flag rules of vital-attention.ts at this version, for the backfill below only: new
-- readings are flagged by the service's own rules as they are written (a test keeps the two equal).
CREATE FUNCTION vital_needs_attention(kind text, v double precision, s double precision, d double precision)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE kind
    WHEN 'blood_pressure' THEN s >= 140 OR d >= 90 OR s < 90 OR d < 60
    WHEN 'heart_rate' THEN v > 120 OR v < 40
    WHEN 'spo2' THEN v < 92
    WHEN 'glucose' THEN v > 250 OR v < 70
    WHEN 'temperature' THEN v >= 38 OR v < 35
    ELSE false
  END
$$;

INSERT INTO vital_rollups
SELECT user_id, kind, hour_start, count(*), min(t), max(t), sum(t::numeric), sum(t::numeric * t),
       sum(vital_exact(value)), min(value), max(value), sum(t * vital_exact(value)),
       sum(vital_exact(systolic)), min(systolic), max(systolic), sum(t * vital_exact(systolic)),
       sum(vital_exact(diastolic)), min(diastolic), max(diastolic), sum(t * vital_exact(diastolic))
FROM (
  SELECT user_id, kind, date_trunc('hour', measured_at, 'UTC') AS hour_start,
         floor(extract(epoch FROM measured_at) * 1000)::bigint AS t, value, systolic, diastolic
  FROM vitals
) AS readings
GROUP BY user_id, kind, hour_start;

INSERT INTO vital_attention
SELECT user_id, kind, measured_at, id, value, systolic, diastolic
FROM vitals
WHERE vital_needs_attention(kind, value, systolic, diastolic);

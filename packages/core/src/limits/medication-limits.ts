/**
 * Limits of a medication and its dose log, checked by the gateway (before a call) and by the
 * health service (which must hold them whoever calls). Texts count code points
 * (`codePointLength`).
 */
export const medicationLimits = {
  /** A medication's name, after trimming. */
  nameChars: { min: 1, max: 200 },
  /** A dose unit as typed (the health service also checks it against its list of units). */
  unitChars: { min: 1, max: 32 },
  /** Instructions of a medication, and the note of a logged dose. */
  freeTextChars: { min: 0, max: 1000 },
  /** Times a day in a schedule. */
  timesPerDay: 24,
  /** An RxNorm concept id (RXCUI): digits only. */
  rxnormDigits: 10,
} as const;

/**
 * Units a dose may be given in: UCUM units for mass, volume and activity, and countable forms.
 * "ug" and "mcg" are both accepted because people and labels use both. One list for the health
 * service's check and the gateway's schema (and so the API document's enum).
 */
export const doseUnits = [
  'mg',
  'mcg',
  'ug',
  'g',
  'mL',
  'L',
  'IU',
  '[iU]',
  'tablet',
  'capsule',
  'puff',
  'drop',
  'unit',
  'patch',
  'spray',
  'application',
] as const;

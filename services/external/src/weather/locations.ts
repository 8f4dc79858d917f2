import { ValidationError } from '@tend/core';
import type { Coordinates } from './weather-provider.js';

/** A location as asked for: coordinates given outright, or a name to geocode. */
export type LocationQuery = { kind: 'coordinates'; at: Coordinates } | { kind: 'name'; name: string };

const coordinatePattern = /^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$/;

/**
 * Reads `"lat,lon"` or a place name from a request field (at most 120 characters, as the
 * contract requires). Coordinates out of range and names that cannot be a place (empty, control
 * characters) are a `ValidationError` on `field`, before anything is called.
 */
export function parseLocation(field: string, raw: string): LocationQuery {
  const match = coordinatePattern.exec(raw);
  if (match) {
    const latitude = Number(match[1]);
    const longitude = Number(match[2]);
    if (!(latitude >= -90 && latitude <= 90)) throw ValidationError.field(field, 'latitude must be between -90 and 90');
    if (!(longitude >= -180 && longitude <= 180)) {
      throw ValidationError.field(field, 'longitude must be between -180 and 180');
    }
    return { kind: 'coordinates', at: { latitude, longitude } };
  }
  const name = raw.trim().replace(/\s+/g, ' ');
  if (name.length === 0) throw ValidationError.field(field, 'must name a place or give "latitude,longitude"');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw ValidationError.field(field, 'must not contain control characters');
  return { kind: 'name', name };
}

/**
 * Coordinates rounded for cache keys: two decimals is about 1 km, finer than any forecast grid
 * (Open-Meteo's best models are 1–2 km), so neighbours share an entry without changing the answer.
 */
export function roundedKey(at: Coordinates): string {
  return `${at.latitude.toFixed(2)},${at.longitude.toFixed(2)}`;
}

/** The coordinates a rounded key stands for. */
export function roundCoordinates(at: Coordinates): Coordinates {
  return { latitude: Number(at.latitude.toFixed(2)), longitude: Number(at.longitude.toFixed(2)) };
}

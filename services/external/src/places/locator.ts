import { ValidationError, type Clock } from '@tend/core';
import type { Place } from '@tend/proto/tend/external/v1/external';
import { parseLocation } from '../weather/locations.js';
import type { WeatherSource } from '../weather/weather-source.js';
import type { PlaceStore } from './place-store.js';
import type { PlaceInput } from './place-store.js';

/** A place resolved for a look-up: a display name and coordinates. */
export interface ResolvedPlace {
  name: string;
  latitude: number;
  longitude: number;
  countryCode: string;
  timeZone: string;
}

/**
 * Turns what a request says about "where" into coordinates: `"lat,lon"` as is, a name through
 * geocoding (the best match), and nothing at all into the person's stored place. An unknown
 * name or a person without a place is a `ValidationError` naming the field, never a guess.
 */
export class Locator {
  constructor(
    private readonly source: WeatherSource,
    private readonly places: PlaceStore,
    readonly clock: Clock,
  ) {}

  async resolve(field: string, location: string, userId: string | undefined, language: string): Promise<ResolvedPlace> {
    if (location.trim() === '') {
      const stored = userId === undefined ? undefined : await this.places.find(userId);
      if (!stored) {
        throw ValidationError.field(
          field,
          'no place is stored for you; name one, or set yours first (say "I live in Berlin")',
        );
      }
      return fromPlace(stored);
    }
    return this.lookUp(field, location, language);
  }

  /** A place by name or coordinates, without the stored one. */
  async lookUp(field: string, location: string, language: string): Promise<PlaceInput> {
    const query = parseLocation(field, location);
    if (query.kind === 'coordinates') {
      const { latitude, longitude } = query.at;
      return {
        name: `${latitude.toFixed(4)},${longitude.toFixed(4)}`,
        latitude,
        longitude,
        countryCode: '',
        timeZone: '',
      };
    }
    const [best] = await this.source.geocode(query.name, language);
    if (!best) throw ValidationError.field(field, `no place called "${query.name}" was found`);
    const name = [best.name, best.country].filter((part) => part !== '').join(language === 'zh' ? '，' : ', ');
    return {
      name,
      latitude: best.latitude,
      longitude: best.longitude,
      countryCode: best.countryCode,
      timeZone: best.timeZone,
    };
  }
}

function fromPlace(place: Place): ResolvedPlace {
  return {
    name: place.name,
    latitude: place.latitude,
    longitude: place.longitude,
    countryCode: place.countryCode,
    timeZone: place.timeZone,
  };
}

/** The language a request names: "zh", or "en" for "en" and empty (the contract allows no other). */
export function languageOf(raw: string): 'en' | 'zh' {
  return raw === 'zh' ? 'zh' : 'en';
}

import type { ServiceImpl } from '@connectrpc/connect';
import type { ExternalService } from '@tend/proto/tend/external/v1/external';
import { subjectOf } from '../access.js';
import { languageOf, type Locator } from './locator.js';
import type { PlaceStore } from './place-store.js';

/** SetPlace and GetPlace: where the person lives, geocoded once and stored. */
export function placeHandlers(deps: {
  places: PlaceStore;
  locator: Locator;
}): Pick<ServiceImpl<typeof ExternalService>, 'setPlace' | 'getPlace'> {
  return {
    async setPlace(req) {
      const userId = subjectOf(req.caller, req.userId);
      const language = languageOf(req.language);
      // Geocoded before anything is written: an unknown name changes nothing.
      const place = await deps.locator.lookUp('location', req.location, language);
      return { place: await deps.places.save(userId, place) };
    },
    async getPlace(req) {
      const userId = subjectOf(req.caller, req.userId);
      return { place: await deps.places.get(userId) };
    },
  };
}

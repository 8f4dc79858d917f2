export {
  createExternalService,
  externalSchema,
  type ExternalServiceDeps,
  type ExternalSettings,
} from './external-service.js';
export { OpenMeteoProvider, openMeteoDefaults, type OpenMeteoOptions } from './weather/open-meteo.js';
export {
  WeatherSource,
  weatherUnreachable,
  type WeatherSourceOptions,
  type Sourced,
} from './weather/weather-source.js';
export type { WeatherProvider, Coordinates } from './weather/weather-provider.js';
export type { NotesCipher } from './appointments/notes-cipher.js';

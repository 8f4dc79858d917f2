export {
  FakeOpenMeteo,
  fakePlaces,
  type FakeAir,
  type FakeApi,
  type FakeDay,
  type FakeFault,
  type FakePlace,
} from './fake-open-meteo.js';
export {
  TestCalendar,
  calDavServerOf,
  eventObject,
  startGarbageCalDav,
  startGatedCalDavProxy,
  type CalDavServer,
  type GatedCalDavProxy,
} from './caldav-fixtures.js';
export {
  startExternalHarness,
  personCaller,
  serviceCaller,
  type ExternalHarness,
  type ExternalHarnessOptions,
} from './external-harness.js';

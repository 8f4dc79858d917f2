/**
 * The Open-Meteo fake (forecast, geocoding, air quality) on a loopback port, for runs of the
 * whole server that must not reach the internet (the contract fuzzer). Prints its base URL on
 * the first line of stdout and serves until it is sent SIGTERM or SIGINT.
 */
import { FakeOpenMeteo } from '@tend/external/testing';

const fake = await new FakeOpenMeteo().start();
process.stdout.write(`${fake.url}\n`);
const stop = () => {
  void fake.stop().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

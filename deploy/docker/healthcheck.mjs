// Docker HEALTHCHECK of the Tend image: GET /healthz on the gateway port (GATEWAY_PORT, 8080)
// when this process runs the gateway, otherwise on the admin port (ADMIN_PORT, 9400), which every
// process without the gateway serves. Exit 0 healthy, 1 not.
const ports = [process.env.GATEWAY_PORT || '8080', process.env.ADMIN_PORT || '9400'];

for (const port of ports) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(3000) });
    process.exit(res.ok ? 0 : 1);
  } catch (error) {
    // Nothing listening on this port: try the next one. Anything else (timeout) is unhealthy.
    if (error?.cause?.code !== 'ECONNREFUSED') {
      console.error(`healthcheck: port ${port}: ${error?.cause?.code ?? error?.name ?? error}`);
      process.exit(1);
    }
  }
}
console.error(`healthcheck: nothing listening on ports ${ports.join(', ')}`);
process.exit(1);

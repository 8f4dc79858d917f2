// One process of WebSocket clients for the sockets-at-scale benchmark (bench/websockets.bench.ts),
// started by it with IPC. It opens `count` authenticated `/ws` sockets from the loopback source
// addresses it is given (each address has its own ~28,000 ephemeral ports), then reports when
// every socket has seen a live notification, and closes everything when told to or when its
// parent goes away.
import WebSocket from 'ws';

interface Job {
  url: string;
  token: string;
  count: number;
  sourceAddresses: string[];
  /** Upgrades in flight at once. */
  parallel: number;
}

const job = JSON.parse(process.argv[2] ?? '{}') as Job;
const sockets: WebSocket[] = [];
let opened = 0;
let failed = 0;
let notified = 0;
let lastNotifiedNs = 0n;
let firstError = '';

const send = (message: object) => process.send?.(message);

function openOne(i: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = new WebSocket(job.url, ['tend.v1', `bearer.${job.token}`], {
      localAddress: job.sourceAddresses[i % job.sourceAddresses.length],
      perMessageDeflate: false,
      handshakeTimeout: 60_000,
    });
    let ready = false;
    socket.on('message', (data) => {
      const text = Buffer.isBuffer(data) ? data.toString() : '';
      if (!ready && text.includes('"ready"')) {
        ready = true;
        opened += 1;
        sockets.push(socket);
        resolve();
      } else if (text.includes('"notification"')) {
        notified += 1;
        lastNotifiedNs = process.hrtime.bigint();
        if (notified === opened) send({ type: 'notified', count: notified, lastNs: String(lastNotifiedNs) });
      }
    });
    socket.on('error', (error) => {
      if (!ready) {
        failed += 1;
        firstError ||= error.message;
        resolve();
      }
    });
    socket.on('close', () => {
      if (!ready) {
        failed += 1;
        resolve();
      }
    });
  });
}

async function openAll(): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < job.count) {
      const i = next++;
      await openOne(i);
      if ((opened + failed) % 5000 === 0) send({ type: 'progress', opened, failed });
    }
  };
  await Promise.all(Array.from({ length: job.parallel }, lane));
  send({ type: 'opened', opened, failed, firstError });
}

process.on('message', (message: { type: string }) => {
  if (message.type === 'close') {
    for (const socket of sockets) socket.terminate();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
await openAll();

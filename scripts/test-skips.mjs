// The tests `npm test` may skip under CI=true, each with the reason it cannot run there.
// Every other skipped test fails CI by name: a skip that nobody listed here proves nothing and
// must not pass as green. Keep this list short, and empty when possible.
//
// Each entry: { file: path relative to the repository, test: the full test name as the JSON
// reporter prints it (describe titles and test title joined by spaces), why: one sentence }.

/** @type {ReadonlyArray<{ file: string; test: string; why: string }>} */
export const allowedSkips = [
  {
    file: 'e2e/kafka-across-processes.test.ts',
    test: 'events through the real Kafka between separate processes loses and repeats no alert when one of two notification consumers is killed mid-stream',
    why: 'Fails in full e2e runs though it passes on its own: once with no alert consumed within 90 s, and again after Kafka groups became per topic, then within 10 s of starting; skipped until the cause is found (TEND_E2E_CONSUMER_KILL=1 runs it).',
  },
];

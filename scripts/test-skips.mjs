// The tests `npm test` may skip under CI=true, each with the reason it cannot run there.
// Every other skipped test fails CI by name: a skip that nobody listed here proves nothing and
// must not pass as green. Keep this list short, and empty when possible.
//
// Each entry: { file: path relative to the repository, test: the full test name as the JSON
// reporter prints it (describe titles and test title joined by spaces), why: one sentence }.

/** @type {ReadonlyArray<{ file: string; test: string; why: string }>} */
export const allowedSkips = [
  {
    file: 'e2e/web-app.test.ts',
    test: 'the web app in a browser stops speaking when the person talks over the answer, and listens to them as a new turn',
    why: 'inside the full suite under CI the answer is not interrupted within 90 s (3 runs of 4); it passes alone and beside CPU hogs, and runs in every npm test outside CI until the cause is traced',
  },
];

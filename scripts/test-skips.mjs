// The tests `npm test` may skip under CI=true, each with the reason it cannot run there.
// Every other skipped test fails CI by name: a skip that nobody listed here proves nothing and
// must not pass as green. Keep this list short, and empty when possible.
//
// Each entry: { file: path relative to the repository, test: the full test name as the JSON
// reporter prints it (describe titles and test title joined by spaces), why: one sentence }.

/** @type {ReadonlyArray<{ file: string; test: string; why: string }>} */
export const allowedSkips = [];

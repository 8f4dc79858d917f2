// A benchmark that is its own script (it prints its numbers) as an entry of `npm run bench`: the
// runner starts it in a child process and puts its summary line in the report, with a target when
// the line carries a number to judge.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { BenchRow } from './report.js';
import type { BenchEntry } from './run.js';

const run = promisify(execFile);

/** How a script's output is read into the report. */
export interface ScriptBench {
  name: string;
  title: string;
  /** The script and its arguments, run with `node --import tsx`. */
  args: string[];
  full?: boolean;
  /** The output line that sums the run up. */
  summary: RegExp;
  /** A number read from the summary line and the target it must meet. */
  target?: { read: RegExp; text: string; met: (value: number) => boolean };
}

/** An entry that runs `bench.args` and reports its summary line. */
export function scriptEntry(bench: ScriptBench): BenchEntry {
  return {
    name: bench.name,
    ...(bench.full !== undefined && { full: bench.full }),
    async run() {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', ...bench.args], {
        maxBuffer: 16 * 1024 * 1024,
        timeout: 15 * 60 * 1000,
      });
      process.stdout.write(stdout);
      const line = stdout.split('\n').find((l) => bench.summary.test(l));
      if (!line) throw new Error(`${bench.args.join(' ')} printed no line matching ${bench.summary}`);
      const value = bench.target ? Number(bench.target.read.exec(line)?.[1] ?? NaN) : NaN;
      const row: BenchRow = {
        what: bench.title,
        result: line.trim(),
        ...(bench.target && { target: bench.target.text, pass: bench.target.met(value) }),
      };
      return { name: bench.title, command: `node --import tsx ${bench.args.join(' ')}`, rows: [row] };
    },
  };
}

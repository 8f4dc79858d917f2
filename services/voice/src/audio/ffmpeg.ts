import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * Where the ffmpeg binary is: the static build shipped in the `@ffmpeg-installer/linux-x64` npm
 * package (GPL-3.0), so decoding works after `npm ci` with nothing else installed; else an
 * `ffmpeg` on the PATH. Undefined when neither exists.
 */
export function findFfmpeg(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const binary = path.join(path.dirname(require.resolve('@ffmpeg-installer/linux-x64/package.json')), 'ffmpeg');
    if (existsSync(binary)) return binary;
  } catch {
    // not installed on this platform
  }
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'ffmpeg');
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** What one run of a child process gave back. */
export interface ProcessResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * Runs `binary` with `input` on stdin and collects stdout, killing it when `signal` aborts or
 * its output passes `maxOutputBytes` (a decoder fed a crafted file must not fill memory).
 */
export function runProcess(
  binary: string,
  args: readonly string[],
  input: Uint8Array | undefined,
  options: { signal?: AbortSignal; maxOutputBytes?: number } = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'], signal: options.signal });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let overflow = false;
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (options.maxOutputBytes !== undefined && size > options.maxOutputBytes) {
        overflow = true;
        child.kill('SIGKILL');
        return;
      }
      chunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 8192) stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (overflow) resolve({ code: -1, stdout: Buffer.alloc(0), stderr: 'output limit exceeded' });
      else resolve({ code, stdout: Buffer.concat(chunks), stderr });
    });
    // A process that exits before reading all its input closes the pipe: not an error here.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

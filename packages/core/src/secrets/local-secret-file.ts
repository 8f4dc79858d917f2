import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * A secret kept on local disk in all-in-one mode (generated keys), in the keys directory
 * (`TEND_KEYS_DIR`, by default `<TEND_DATA_DIR>/keys`): never beside the database files, so a copy
 * of the data directory's database is not a copy of the keys that open it. The directory is
 * 0700 and the file 0600, tightened at every start if someone loosened them.
 */
export interface LocalSecretOptions<T> {
  keysDir: string;
  /** File name inside `keysDir`. */
  name: string;
  /** Makes the secret the first time. */
  make: () => T | Promise<T>;
  /** Where an older version kept the file; moved into `keysDir` when found there. */
  formerPath?: string;
}

/**
 * Reads the JSON secret, creating it the first time. Two processes starting together agree:
 * the file is created exclusively, and the loser reads the winner's.
 */
export async function localSecretFile<T>(options: LocalSecretOptions<T>): Promise<T> {
  const file = join(options.keysDir, options.name);
  await privateDirectory(options.keysDir);
  if (options.formerPath !== undefined) await moveFormer(options.formerPath, file);
  try {
    await tighten(file, 0o600);
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = await options.make();
  await writeFile(file, JSON.stringify(secret), { mode: 0o600, flag: 'wx' }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  });
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

async function privateDirectory(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await tighten(dir, 0o700);
}

/** Drops group and other permissions (mkdir's mode does not apply to a directory that exists). */
async function tighten(path: string, mode: number): Promise<void> {
  const { mode: current } = await stat(path);
  if ((current & 0o077) !== 0) await chmod(path, mode);
}

async function moveFormer(former: string, file: string): Promise<void> {
  try {
    await stat(file);
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await rename(former, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

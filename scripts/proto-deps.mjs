#!/usr/bin/env node
// The proto files Tend's contracts import but do not own, fetched at generate time instead of
// copied into the repository: `buf/validate/validate.proto` (the field rules that
// @bufbuild/protovalidate checks at run time) from the protovalidate Go module, through the Go
// module proxy, pinned to a version and its checksum. The Buf Schema Registry, where buf.yaml
// would normally name it as a dependency, is not always reachable; the Go module proxy is a
// package registry like npm's, and `go mod download` checks the module against the checksum
// database as well as against the sum pinned here.
//
// Writes them into proto/buf/ (ignored by git), beside the contracts that import them.
// Usage: node scripts/proto-deps.mjs [--quiet]
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'proto', 'buf');

/**
 * The protovalidate release whose rules @bufbuild/protovalidate (package.json) understands, and
 * the files taken from it. Raise the version together with the npm package.
 */
const protovalidate = {
  module: 'github.com/bufbuild/protovalidate',
  version: 'v1.2.2',
  sum: 'h1:2H/9/Kr97etSRqW3IJjTTb09z+zutkK2GDhDRbOnqr4=',
  files: { 'proto/protovalidate/buf/validate/validate.proto': 'validate/validate.proto', LICENSE: 'validate/LICENSE' },
};

const quiet = process.argv.includes('--quiet');
const stamp = join(out, '.version');
const wanted = `${protovalidate.module}@${protovalidate.version} ${protovalidate.sum}`;
if (existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) process.exit(0);

const go = ['go', '/usr/local/go/bin/go'].find((candidate) => {
  try {
    execFileSync(candidate, ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});
if (!go) {
  console.error('proto-deps: `go` is needed to fetch buf/validate/validate.proto from the Go module proxy');
  process.exit(1);
}
const download = JSON.parse(
  execFileSync(go, ['mod', 'download', '-json', `${protovalidate.module}@${protovalidate.version}`], {
    encoding: 'utf8',
    // Tend has no go.mod, so nothing of ours is read or written: the module lands in Go's cache.
    cwd: root,
    env: { ...process.env, GOFLAGS: '-modcacherw', GO111MODULE: 'on' },
  }),
);
if (download.Error) throw new Error(`proto-deps: ${download.Error}`);
if (download.Sum !== protovalidate.sum)
  throw new Error(
    `proto-deps: ${protovalidate.module}@${protovalidate.version} has sum ${download.Sum}, not the pinned ${protovalidate.sum}`,
  );
for (const [from, to] of Object.entries(protovalidate.files)) {
  mkdirSync(dirname(join(out, to)), { recursive: true });
  copyFileSync(join(download.Dir, from), join(out, to));
}
writeFileSync(stamp, wanted);
if (!quiet)
  console.log(`proto-deps: proto/buf/${Object.values(protovalidate.files).join(', proto/buf/')} from ${wanted}`);

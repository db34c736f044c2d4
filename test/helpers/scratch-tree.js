'use strict';
// Scratch trees for hostile tests: a copy of a recorded tree (test/fixtures/trees) under a fresh tmp directory, which
// the test then spoils (FIFOs, symlinks, huge files, 70,000-entry blkio files). Removed in teardown.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const TREES = path.join(__dirname, '..', 'fixtures', 'trees');

function scratchTree(t, name = 'v1-real') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cgmgr-hostile-${process.pid}-`));
  fs.cpSync(path.join(TREES, name), dir, { recursive: true, verbatimSymlinks: true });
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Replaces a file of the tree with something else: 'fifo', 'symlink' (to /etc/passwd), 'dir', 'huge' (20 MiB). */
function spoil(file, how) {
  fs.rmSync(file, { recursive: true, force: true });
  if (how === 'fifo') require('node:child_process').execFileSync('mkfifo', [file]);
  else if (how === 'symlink') fs.symlinkSync('/etc/passwd', file);
  else if (how === 'dir') fs.mkdirSync(file);
  else if (how === 'huge') {
    fs.writeFileSync(file, 'cache 1\n');
    fs.truncateSync(file, 20 << 20); // sparse: 20 MiB of NULs after the first line
  } else throw new Error(`spoil: ${how}?`);
}

/** A v1 blkio file with `n` entries (n / 5 devices, five operations each). */
function blkioLines(n) {
  const ops = ['Read', 'Write', 'Sync', 'Async', 'Discard'];
  const lines = [];
  for (let i = 0; i < n; i++) lines.push(`${8 + Math.floor(i / 5 / 256)}:${Math.floor(i / 5) % 256} ${ops[i % 5]} ${i}`);
  return lines.join('\n') + '\nTotal 1\n';
}

module.exports = { scratchTree, spoil, blkioLines };

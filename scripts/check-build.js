#!/usr/bin/env node
'use strict';
// `npm test` tests what was just built: it stops here, before any test, when dist/ is older than lib/ (a TypeScript
// source newer than its compiled file, or one not compiled at all) or the local addon is older than native/ (a C++
// source newer than build/Release/cgmgr.node). Exit 1 with what is stale and the command that rebuilds it.
// With CGMGR_ADDON set (CI's cmake-js and sanitizer builds) the addon named there is the caller's business.
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

function files(dir, keep, skip = () => false) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (skip(p)) continue;
    if (e.isDirectory()) out.push(...files(p, keep, skip));
    else if (keep(p)) out.push(p);
  }
  return out;
}

const stale = [];
const rel = (p) => path.relative(ROOT, p);
for (const ts of files(path.join(ROOT, 'lib'), (p) => p.endsWith('.ts') && !p.endsWith('.d.ts'))) {
  const js = path.join(ROOT, 'dist', path.relative(path.join(ROOT, 'lib'), ts)).replace(/\.ts$/, '.js');
  const built = fs.statSync(js, { throwIfNoEntry: false });
  if (!built) stale.push(`${rel(js)} is missing (from ${rel(ts)})`);
  else if (built.mtimeMs < fs.statSync(ts).mtimeMs) stale.push(`${rel(ts)} is newer than ${rel(js)}`);
}
// The start-up bundles (scripts/bundle.js) are made from dist/ after tsc: a dist/ file newer than its bundle means the
// bundle would be passed over (lib/bundle.ts), and the tests would not test it.
for (const name of ['hook', 'cli']) {
  const bundle = path.join(ROOT, 'dist', 'bundles', `${name}.js`);
  const built = fs.statSync(bundle, { throwIfNoEntry: false });
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'dist', 'bundles', `${name}.json`), 'utf8'));
  } catch {
    manifest = undefined;
  }
  if (!built || !manifest) {
    stale.push(`${rel(bundle)} is missing`);
    continue;
  }
  const newer = manifest.files.filter(([f, size]) => {
    const st = fs.statSync(path.join(ROOT, 'dist', f), { throwIfNoEntry: false });
    return !st || st.size !== size || st.mtimeMs > built.mtimeMs;
  });
  if (newer.length > 0) stale.push(`${rel(bundle)} is older than dist/${newer[0][0]}${newer.length > 1 ? ` (+${newer.length - 1} more)` : ''}`);
}
const tsStaleCount = stale.length;

if (!process.env.CGMGR_ADDON) {
  const addon = path.join(ROOT, 'build', 'Release', 'cgmgr.node');
  const built = fs.statSync(addon, { throwIfNoEntry: false });
  if (built) {
    const sources = files(path.join(ROOT, 'native'), (p) => /\.(cc|h)$/.test(p), (p) => p === path.join(ROOT, 'native', 'fuzz'));
    const newer = sources.filter((s) => fs.statSync(s).mtimeMs > built.mtimeMs);
    if (newer.length > 0) stale.push(`${rel(addon)} is older than ${newer.slice(0, 3).map(rel).join(', ')}${newer.length > 3 ? ` (+${newer.length - 3} more)` : ''}`);
  }
}

if (stale.length > 0) {
  // The addon is stale too: `npm run build` (node-gyp and tsc); only TypeScript: `npm run build:ts`.
  const command = stale.length > tsStaleCount ? 'npm run build' : 'npm run build:ts';
  const shown = stale.slice(0, 10).map((s) => `  ${s}\n`).join('') + (stale.length > 10 ? `  (+${stale.length - 10} more)\n` : '');
  process.stderr.write(`cgmgr: the build is stale, so the tests would not test these sources:\n${shown}Rebuild with \`${command}\`, then run the tests again.\n`);
  process.exit(1);
}

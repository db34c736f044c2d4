#!/usr/bin/env node
'use strict';
/**
 * The licence and dependency check (offline, in CI): every package of the production tree (package-lock.json's
 * packages that are not dev-only, optional ones included) must be installed in node_modules with a licence from
 * ALLOWED, compatible with cgmgr's Apache-2.0. Prints one line per package and exits 1 on an unknown or missing
 * licence, or a package the lock names that is not installed.
 */
const fs = require('node:fs');
const path = require('node:path');

// The project to check (default: this one); a test points it at a made-up tree.
const ROOT = path.resolve(process.argv[2] ?? path.join(__dirname, '..'));
const ALLOWED = new Set(['MIT', 'ISC', 'Apache-2.0', 'BSD-2-Clause', 'BSD-3-Clause', '0BSD', 'BlueOak-1.0.0', 'CC0-1.0', 'Unlicense']);

/** A package.json's licence as an SPDX expression ("(MIT OR Apache-2.0)" allowed when one side is). */
function licenseOf(pkg) {
  const l = pkg.license ?? pkg.licenses;
  if (typeof l === 'string') return l;
  if (Array.isArray(l)) return l.map((x) => x.type ?? x).join(' OR ');
  if (l && typeof l === 'object') return l.type;
  return undefined;
}

function allowed(expr) {
  if (!expr) return false;
  const parts = expr.replace(/[()]/g, '').split(/\s+OR\s+/);
  return parts.some((p) => p.split(/\s+AND\s+/).every((q) => ALLOWED.has(q.trim())));
}

function main() {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
  const problems = [];
  let n = 0;
  for (const [where, entry] of Object.entries(lock.packages ?? {})) {
    if (where === '' || entry.dev || entry.link) continue;
    n++;
    const file = path.join(ROOT, where, 'package.json');
    if (!fs.existsSync(file)) {
      // An optional package that is not for this platform (or was omitted) is fine; a required one is not.
      if (!entry.optional) problems.push(`${where}: in package-lock.json but not installed`);
      else console.log(`${where}: optional, not installed`);
      continue;
    }
    const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
    const lic = licenseOf(pkg);
    const ok = allowed(lic);
    console.log(`${where.replace(/^node_modules\//, '')}@${pkg.version}: ${lic ?? '(no licence)'}${ok ? '' : '  <- NOT ALLOWED'}`);
    if (!ok) problems.push(`${where}: licence ${lic ?? '(none)'} is not in the allowed list`);
  }
  console.log(`${n} production packages; allowed licences: ${[...ALLOWED].join(', ')}`);
  if (problems.length) {
    console.error(problems.map((p) => `check-licenses: ${p}`).join('\n'));
    process.exitCode = 1;
  }
}

main();

'use strict';
// Child of fd-budget.test.js: a collector whose process has run out of descriptors (every free one taken by
// /dev/null opens, as an application might) still reads new rows: the engine stops holding and reads transiently.
// Prints one JSON line.
const fs = require('node:fs');
const path = require('node:path');

const dist = process.env.CGMGR_DIST || path.join(__dirname, '..', '..', '..', 'dist');
const { StatsCollector, ROW_STATUS } = require(dist);
const { first, later } = JSON.parse(fs.readFileSync(0, 'utf8'));

const c = new StatsCollector({ oomEvents: false });
for (const p of first) c.add(p);
c.collect();
// Take every free descriptor, then give two back.
const hog = [];
for (;;) {
  try {
    hog.push(fs.openSync('/dev/null', 'r'));
  } catch (err) {
    if (err.code !== 'EMFILE') throw err;
    break;
  }
}
fs.closeSync(hog.pop());
fs.closeSync(hog.pop());
const out = { hogged: hog.length };
for (const p of later) c.add(p); // each add resolves and closes: needs one descriptor at a time
const s = c.collect();
let ok = 0;
let firstBad;
for (let r = 0; r < s.rows; r++) {
  if (s.status[r] === ROW_STATUS.ok) ok++;
  else firstBad ??= `${s.paths[r]}: ${s.error(r)?.message}`;
}
const u = c.usage();
Object.assign(out, { rows: s.rows, ok, firstBad, fdPressure: u.fdPressure, heldFds: u.heldFds, processFdBudget: u.processFdBudget });
for (const fd of hog) fs.closeSync(fd);
c.close();
process.stdout.write(JSON.stringify(out) + '\n');

'use strict';
// Child of fd-budget.test.js, started under a lowered RLIMIT_NOFILE (prlimit): `collectors` default StatsCollectors
// over the same real cgroups, each swept sync and async; then Node's own descriptor users (fs.readFileSync,
// execFileSync). Prints one JSON line: per collector and sweep the rows read and failed, and the usage.
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const dist = process.env.CGMGR_DIST || path.join(__dirname, '..', '..', '..', 'dist');
const { StatsCollector, ROW_STATUS } = require(dist);
const { paths, collectors } = JSON.parse(fs.readFileSync(0, 'utf8'));

async function main() {
  const out = { nofile: fs.readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files')), sweeps: [], errors: [] };
  const cs = [];
  for (let i = 0; i < collectors; i++) {
    const c = new StatsCollector();
    c.on('error', (err) => { if (out.errors.length < 5) out.errors.push(`${i}: ${err.code}: ${err.message}`); });
    for (const p of paths) c.add(p);
    cs.push(c);
  }
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < cs.length; i++) {
      for (const mode of ['sync', 'async']) {
        const s = mode === 'sync' ? cs[i].collect() : await cs[i].collectAsync();
        let ok = 0;
        let firstBad;
        for (let r = 0; r < s.rows; r++) {
          if (s.status[r] === ROW_STATUS.ok) ok++;
          else if (firstBad === undefined) firstBad = `${s.paths[r]}: status ${s.status[r]}: ${s.error(r)?.code} ${s.error(r)?.message}`;
        }
        out.sweeps.push({ collector: i, round, mode, rows: s.rows, ok, firstBad });
      }
    }
  }
  out.usage = cs.map((c) => { const u = c.usage(); return { ...u, lastError: u.lastError?.message }; });
  // Node itself still has descriptors.
  try {
    out.readFile = fs.readFileSync('/proc/self/status', 'utf8').length > 0;
  } catch (err) {
    out.readFile = String(err);
  }
  try {
    out.exec = execFileSync('true').length === 0;
  } catch (err) {
    out.exec = String(err);
  }
  for (const c of cs) c.close();
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((err) => {
  process.stdout.write(JSON.stringify({ fatal: String(err && err.stack) }) + '\n');
  process.exitCode = 1;
});

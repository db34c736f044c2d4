'use strict';
// Prints "<passed> <failed> <skipped>" from a tap run's log (its closing "# { total: N, pass: N, fail: N, ... }" line), or
// nothing when the log is not a tap run.
const fs = require('node:fs');
const text = fs.readFileSync(process.argv[2], 'utf8');
const lines = text.split('\n').filter((l) => /^# \{ total: \d+/.test(l));
if (lines.length === 0) process.exit(0);
const last = lines[lines.length - 1];
const num = (key) => Number((last.match(new RegExp(`${key}: (\\d+)`)) || [0, 0])[1]);
process.stdout.write(`${num('pass')} ${num('fail')} ${num('skip')}\n`);

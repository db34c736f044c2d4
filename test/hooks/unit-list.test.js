'use strict';
// test/unit.list (`npm run test:unit`: no VM, no root) kept true: every listed file exists and is a test file, and none
// starts a runtime harness (the systemd sandbox, the CRI lab, podman, the qemu guest). Kernel tests inside a listed
// file skip through test/helpers/cgroups.js (the runner leaves CGMGR_TEST_KERNEL unset); CI runs the list as a
// non-root user (.ci/run), which fails any that needs root unguarded.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const listed = fs.readFileSync(path.join(ROOT, 'test', 'unit.list'), 'utf8').split('\n')
  .map((l) => l.replace(/#.*/, '').trim())
  .filter(Boolean);

const HARNESSES = [/require\('\.\/sandbox'\)/, /labSkip\(|startLab\(/, /spawn\w*\(\s*'podman'/, /run-v2-suite\.sh|test\/vm\//];

t.ok(listed.length >= 20, `${listed.length} files listed`);
t.same([...new Set(listed)], listed, 'no file listed twice');
for (const f of listed) {
  t.test(f, async (t) => {
    t.match(f, /^test\/.+\.test\.js$/, 'a test file under test/');
    t.ok(fs.existsSync(path.join(ROOT, f)), 'exists');
    if (!fs.existsSync(path.join(ROOT, f))) return;
    const src = fs.readFileSync(path.join(ROOT, f), 'utf8');
    const hit = HARNESSES.find((re) => re.test(src));
    t.notOk(hit, `starts no runtime harness${hit ? ` (matches ${hit})` : ''}`);
  });
}

'use strict';
// What moveConmonToCgroup sends, without a systemd: the AllowedCPUs mask (RTB-* vectors), the quota conversion of
// fix B-4, and the property list of every MCC-SD-* vector (exact names, signatures and values, in CRI-O's order).
// test/systemd/systemd.test.js sends the same lists to a real systemd and reads them back.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const sd = require('../../dist/systemd');
const cgmgr = require('../../dist');

const vectors = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'manager-vectors.json'), 'utf8'));
const SHARED = path.join(__dirname, '..', '..', '..', 'shared', 'spec', 'vectors.json');
// rangeToBits vectors are not in the fixture copy: read them from ../shared when it is there, else use this copy.
const RTB = fs.existsSync(SHARED)
  ? JSON.parse(fs.readFileSync(SHARED, 'utf8')).filter((v) => v.kind === 'rangeToBits')
  : [
    { id: 'RTB-1', input: { cpus: '0' }, expect: { bytes: [1] } },
    { id: 'RTB-2', input: { cpus: '0-3' }, expect: { bytes: [15] } },
    { id: 'RTB-3', input: { cpus: '0,1,2-3' }, expect: { bytes: [15] } },
    { id: 'RTB-5', input: { cpus: '0-15' }, expect: { bytes: [255, 255] } },
    { id: 'RTB-6', input: { cpus: '16' }, expect: { bytes: [0, 0, 1] } },
    { id: 'RTB-7', input: { cpus: '0-3,32-33' }, expect: { bytes: [15, 0, 0, 0, 3] } },
    { id: 'RTB-9', input: { cpus: '' }, expect: { bytes: null, error: true } },
    { id: 'RTB-10', input: { cpus: '54-53' }, expect: { bytes: null, error: true } },
    { id: 'RTB-11', input: { cpus: '1 - 2' }, expect: { bytes: null, error: true } },
  ];

t.test('rangeToBits: every RTB vector', async (t) => {
  t.ok(RTB.length >= 9);
  for (const v of RTB) {
    if (v.expect.error) t.throws(() => sd.rangeToBits(v.input.cpus), { code: 'ERR_CGROUP_INVALID_CPUSET' }, v.id);
    else t.same([...sd.rangeToBits(v.input.cpus)], v.expect.bytes, v.id);
  }
  t.throws(() => sd.rangeToBits(''), { message: 'empty value' });
  t.throws(() => sd.rangeToBits('54-53'), { message: 'invalid range: 54-53' });
  t.same([...sd.rangeToBits(' 1 ,\t3 ,')], [10], 'elements trimmed, empty ones skipped');
  t.throws(() => sd.rangeToBits('-1'), { code: 'ERR_CGROUP_INVALID_CPUSET' });
  t.throws(() => sd.rangeToBits('4294967296'), { code: 'ERR_CGROUP_INVALID_CPUSET' });
  t.throws(() => sd.rangeToBits(3), { code: 'ERR_INVALID_ARG_VALUE' });
});

t.test('B-4: quota/period become CPUQuotaPerSecUSec/CPUQuotaPeriodUSec (libcontainer rounding), exact u64', async (t) => {
  t.same(sd.cpuQuotaProperties(50000, 100000), [['CPUQuotaPerSecUSec', ['t', 500000n]], ['CPUQuotaPeriodUSec', ['t', 100000n]]]);
  t.same(sd.cpuQuotaProperties(12345, 100000), [['CPUQuotaPerSecUSec', ['t', 130000n]], ['CPUQuotaPeriodUSec', ['t', 100000n]]], 'rounded up to 10 ms');
  t.same(sd.cpuQuotaProperties(50000, undefined), [['CPUQuotaPerSecUSec', ['t', 500000n]]], 'period defaults to 100 ms, not sent');
  t.same(sd.cpuQuotaProperties(-1, 100000), [['CPUQuotaPerSecUSec', ['t', 18446744073709551615n]], ['CPUQuotaPeriodUSec', ['t', 100000n]]], '-1 = infinity');
  t.same(sd.cpuQuotaProperties(undefined, 50000), [['CPUQuotaPerSecUSec', ['t', 18446744073709551615n]], ['CPUQuotaPeriodUSec', ['t', 50000n]]]);
  t.same(sd.cpuQuotaProperties(undefined, undefined), []);
  t.same(sd.cpuQuotaProperties(0, 0), []);
  t.throws(() => sd.cpuQuotaProperties(1.5, 100000), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => sd.cpuQuotaProperties(1000, -5), { code: 'ERR_INVALID_ARG_VALUE' });
});

// The vector's property list as UnitProperty pairs (u64 as bigints), with the B-4 names for MCC-SD-12.
function expected(v) {
  return v.expect.dbusCall.properties.flatMap((p) => {
    if (p.name === 'CPUQuota') return [['CPUQuotaPerSecUSec', ['t', BigInt(p.value) * 1000000n / 100000n]]]; // B-4
    if (p.name === 'CPUQuotaPeriodSec') return [['CPUQuotaPeriodUSec', ['t', BigInt(p.value)]]];
    const value = p.sig === 't' ? BigInt(p.value) : p.sig === 'ay' ? Buffer.from(p.value) : p.value;
    return [[p.name, [p.sig, value]]];
  });
}

t.test('MCC-SD vectors: the StartTransientUnit properties, exactly', async (t) => {
  const withCall = vectors.filter((v) => v.kind === 'moveConmonToCgroup' && v.input.manager === 'systemd' && v.expect.dbusCall);
  t.equal(withCall.length, 5, "MCC-SD-1, 2, 4, 5, 12");
  for (const v of withCall) {
    const i = v.input;
    const slice = i.conmonCgroup.endsWith('.slice') ? i.conmonCgroup : i.cgroupParent;
    const got = await sd.conmonScopeProperties({ pid: i.pid, slice, resources: i.resources, allowedCPUs: async () => i.systemdHasAllowedCPUs === true });
    t.same(got, expected(v), v.id);
    if (v.expect.dbusCall.name) t.equal(`crio-conmon-${i.cid}.scope`, v.expect.dbusCall.name, `${v.id} unit name`);
    if (v.expect.dbusCall.mode) t.equal(v.expect.dbusCall.mode, 'replace');
  }
});

t.test('AllowedCPUs only where systemd supports it (logged otherwise); a bad cpuset fails before D-Bus', async (t) => {
  const logged = [];
  const props = await sd.conmonScopeProperties({ pid: 5, slice: 'a.slice', resources: { cpu: { cpus: '0-3' } }, allowedCPUs: async () => false, logError: (m) => logged.push(m) });
  t.notOk(props.some(([n]) => n === 'AllowedCPUs'));
  t.same(logged, ['Systemd does not support AllowedCPUs; skipping setting for workload']);
  let asked = 0;
  await t.rejects(sd.conmonScopeProperties({ pid: 5, slice: '', resources: { cpu: { cpus: '54-53' } }, allowedCPUs: async () => { asked++; return true; } }),
    { message: 'cpuset conversion error: invalid range: 54-53', code: 'ERR_CGROUP_INVALID_CPUSET' });
  t.equal(asked, 0, 'the probe is not even asked');
  // MCC-SD-6 through the manager: the error comes before any connection is attempted (the bus does not exist).
  const m = cgmgr.newSystemdManager({ bus: { address: 'unix:path=/nonexistent/cgmgr-no-bus' }, allowedCPUs: true });
  await t.rejects(m.moveConmonToCgroup('cid', 'kubepods-pod1.slice', 'pod', 1234, { cpu: { cpus: '54-53' } }), { message: 'cpuset conversion error: invalid range: 54-53' });
  t.equal(m.bus.connects, 0, 'no D-Bus traffic');
});

t.test('manager options and argument checks', async (t) => {
  t.throws(() => cgmgr.newSystemdManager({ bus: { address: 'nonsense' } }), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => cgmgr.newSystemdManager({ bus: 'x' }), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => cgmgr.newSystemdManager({ jobTimeoutMs: 0 }), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => cgmgr.newSystemdManager({ allowedCPUs: 'yes' }), { code: 'ERR_INVALID_ARG_VALUE' });
  t.equal(cgmgr.newSystemdManager().jobTimeoutMs, 6 * 60 * 1000, 'CRI-O\'s 6 minutes by default');
  const m = cgmgr.newSystemdManager({ bus: { address: 'unix:path=/nonexistent/cgmgr-no-bus' } });
  const m2 = cgmgr.newSystemdManager({ bus: { address: 'unix:path=/nonexistent/cgmgr-no-bus' } });
  t.equal(m.bus, m2.bus, 'one connection per bus address');
  await t.rejects(m.moveConmonToCgroup('', 'a.slice', 'pod', 1), { code: 'ERR_INVALID_ARG_VALUE', message: /'cid'/ });
  await t.rejects(m.moveConmonToCgroup('c', 'a.slice', 'pod', 0), { code: 'ERR_INVALID_ARG_VALUE', message: /'pid'/ }, 'never PIDs=[0]');
  await t.rejects(m.moveConmonToCgroup('c', 'a.slice', 'pod', -1), { code: 'ERR_INVALID_ARG_VALUE', message: /'pid'/ }, 'no empty scope');
  await t.rejects(m.moveConmonToCgroup('c', 'a.slice', 'pod', 1, 'cpu'), { code: 'ERR_INVALID_ARG_VALUE' });
  await t.rejects(m.moveConmonToCgroup('c', 'a\0.slice', 'pod', 1), { code: 'ERR_INVALID_ARG_VALUE' });
  // No bus there: a clear error with the path to clean, not a hang.
  await t.rejects(m.moveConmonToCgroup('c', 'a.slice', 'pod', 1), {
    code: 'ERR_DBUS_CONNECT', cgroupPathToClean: '', message: /^failed to add conmon to systemd sandbox cgroup: start transient unit "crio-conmon-c.scope": cannot connect to D-Bus at unix:path=\/nonexistent\/cgmgr-no-bus/,
  });
  t.equal(sd.resolveBusAddress({}, {}), 'unix:path=/run/dbus/system_bus_socket');
  t.equal(sd.resolveBusAddress({}, { DBUS_SYSTEM_BUS_ADDRESS: 'unix:path=/x' }), 'unix:path=/x');
  t.equal(sd.resolveBusAddress({ user: true }, { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/y' }), 'unix:path=/y');
  t.throws(() => sd.resolveBusAddress({ user: true }, { XDG_RUNTIME_DIR: '/nonexistent/cgmgr' }), { code: 'ERR_DBUS_NO_BUS', message: /dbus-user-session/ });
  t.equal(sd.resolveBusAddress({ address: 'unix:path=/z', user: true }, {}), 'unix:path=/z', 'an explicit address wins');
});

t.test('JobTracker: a job finished before anyone waits is kept (the reply/signal race)', async (t) => {
  const bus = new sd.SystemdBus({ address: 'unix:path=/nonexistent/cgmgr-no-bus' });
  const jobs = new sd.JobTracker(bus);
  const signal = (job, result) => bus.dispatch({ path: '/org/freedesktop/systemd1', interface: 'org.freedesktop.systemd1.Manager', member: 'JobRemoved', sender: ':1.1', body: [7, job, 'u.scope', result] });
  signal('/org/freedesktop/systemd1/job/7', 'done');
  t.equal(jobs.unclaimed, 1);
  // (not connected: an unrecorded job would be refused, a recorded one is handed over)
  t.same(await jobs.wait('/org/freedesktop/systemd1/job/7', 1000, () => new Error('timeout')), { unit: 'u.scope', result: 'done' });
  t.equal(jobs.unclaimed, 0);
  await t.rejects(jobs.wait('/org/freedesktop/systemd1/job/8', 1000, () => new Error('timeout')), { code: 'ERR_DBUS_CONNECTION_CLOSED' });
  bus.dispatch({ path: '/other', interface: 'org.freedesktop.systemd1.Manager', member: 'JobRemoved', sender: ':1.1', body: [9, '/j/9', 'u', 'done'] });
  t.equal(jobs.unclaimed, 0, 'signals of other objects are ignored');
});

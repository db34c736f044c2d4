'use strict';
// Per-pod network figures on real traffic: two network namespaces of the test's own joined by a veth pair made inside
// them (nothing is added to the host's namespace: no interface, address or route), a UDP sender in pod A's container
// cgroup and a receiver in pod B's, both of our own cgroups below `<unique>/kubepods/pod<uid>/<id>`. The pod rows'
// counters (from /proc/<pid>/net/dev of a process of the pod, found in a descendant cgroup) grow by at least the bytes
// sent; `lo` is not reported; a container row gets no network; the pid is kept between sweeps and looked up again once
// it exits; the exposition passes promtool and the OpenMetrics parser. Namespaces are deleted in teardown.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawn, spawnSync } = require('node:child_process');
const { StatsCollector } = require('../../dist/collector');
const { renderMetrics } = require('../../dist/exporter');
const { ROOT, realKernelSkipReason, makeSubtree } = require('../helpers/cgroups');
const { promtoolSkip, promtoolCheck, openMetricsSkip, openMetricsCheck } = require('../helpers/exposition');

const H = ['memory', 'cpu', 'cpuacct', 'pids', 'blkio'];

function skipReason() {
  const k = realKernelSkipReason();
  if (k) return k;
  if (!fs.existsSync(path.join(ROOT, 'memory', 'cgroup.procs'))) return 'not a cgroup v1 (hybrid) host';
  const ip = spawnSync('ip', ['-V'], { encoding: 'utf8' });
  if (ip.error || ip.status !== 0) return 'iproute2 (ip) is not installed';
  const probe = `cgmgr-netprobe-${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (add.status !== 0) return `cannot create network namespaces: ${add.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return undefined;
}

const skip = skipReason();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function ip(...args) {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

/** Two namespaces joined by a veth pair made inside them, addressed 10.<a>.<b>.1 and .2; deleted in teardown. */
function makeLink(t) {
  const tag = crypto.randomBytes(3).toString('hex');
  const ns = [`cgmgr-net-${process.pid}-${tag}-a`, `cgmgr-net-${process.pid}-${tag}-b`];
  const dev = [`cgna${tag}`, `cgnb${tag}`]; // ≤ 15 characters; not a prefix cAdvisor ignores (lo, veth, docker)
  const net = `10.${200 + (parseInt(tag.slice(0, 2), 16) % 50)}.${parseInt(tag.slice(2, 4), 16)}`;
  const made = [];
  t.teardown(() => {
    for (const n of made.reverse()) spawnSync('ip', ['netns', 'del', n]);
  });
  for (const n of ns) {
    ip('netns', 'add', n);
    made.push(n);
  }
  // Made in namespace A with its peer put straight into B: never an interface in the host's namespace.
  ip('-n', ns[0], 'link', 'add', dev[0], 'type', 'veth', 'peer', 'name', dev[1], 'netns', ns[1]);
  ip('-n', ns[0], 'addr', 'add', `${net}.1/24`, 'dev', dev[0]);
  ip('-n', ns[1], 'addr', 'add', `${net}.2/24`, 'dev', dev[1]);
  ip('-n', ns[0], 'link', 'set', dev[0], 'up');
  ip('-n', ns[1], 'link', 'set', dev[1], 'up');
  ip('-n', ns[0], 'link', 'set', 'lo', 'up');
  return { ns, dev, addr: [`${net}.1`, `${net}.2`] };
}

/** A node process in namespace `ns` (ip netns exec keeps the pid) that prints lines; `lines` collects them. */
async function startIn(t, sub, ns, rel, script) {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  sub.pids.add(child.pid);
  await new Promise((resolve, reject) => { child.once('spawn', resolve); child.once('error', reject); });
  const lines = [];
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  await waitFor(t, `${ns}: the process is ready`, () => lines.includes('ready'));
  for (const h of H) fs.writeFileSync(sub.dir(h, `${rel}/cgroup.procs`), String(child.pid));
  return { child, lines };
}

async function waitFor(t, what, cond, ms = 10000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(20);
  }
  t.fail(`timed out waiting for ${what}`);
  return false;
}

const RECEIVER = `
const s = require('dgram').createSocket('udp4');
let bytes = 0;
s.on('message', (m) => { bytes += m.length; console.log('received ' + bytes); });
s.bind(${'${PORT}'}, '${'${ADDR}'}', () => console.log('ready'));
`;
const SENDER = `
const s = require('dgram').createSocket('udp4');
console.log('ready');
process.stdin.on('data', async () => {
  const payload = Buffer.alloc(1000, 120);
  for (let i = 0; i < 200; i++) await new Promise((r) => s.send(payload, ${'${PORT}'}, '${'${ADDR}'}', r));
  console.log('sent ' + 200 * payload.length);
});
`;

t.test('pod rows: interface counters of the pod\'s namespace grow by the traffic sent', { skip }, async (t) => {
  const link = makeLink(t);
  const sub = makeSubtree(t, H);
  const uid = [crypto.randomUUID(), crypto.randomUUID()];
  const pods = uid.map((u) => `kubepods/pod${u}`);
  const ctrs = pods.map((p) => `${p}/${crypto.randomBytes(32).toString('hex')}`);
  sub.mkdir();
  sub.mkdir('kubepods');
  for (const p of pods) sub.mkdir(p);
  for (const c of ctrs) sub.mkdir(c);
  const port = 20000 + (process.pid % 20000);
  const fill = (s) => s.replaceAll('${PORT}', String(port)).replaceAll('${ADDR}', link.addr[1]);
  const receiver = await startIn(t, sub, link.ns[1], ctrs[1], fill(RECEIVER));
  const sender = await startIn(t, sub, link.ns[0], ctrs[0], fill(SENDER));

  const c = new StatsCollector({ oomEvents: false });
  t.teardown(() => c.close());
  t.equal(c.network, 'pods', "the default is 'pods'");
  const podPath = pods.map((p) => `/${sub.name}/${p}`);
  for (const p of podPath) c.add(p);
  c.add(`/${sub.name}/${ctrs[0]}`);
  const before = c.collect();
  const row = (s, p) => s.rowOf(p);
  const tx0 = before.network.get(row(before, podPath[0]), link.dev[0], 'transmit_bytes');
  const rx0 = before.network.get(row(before, podPath[1]), link.dev[1], 'receive_bytes');
  t.type(tx0, 'number', `pod A reports ${link.dev[0]} (its process is in a container cgroup below the pod)`);
  t.type(rx0, 'number', `pod B reports ${link.dev[1]}`);
  t.same(Object.keys(before.network.row(row(before, podPath[0]))), [link.dev[0]], 'lo is left out, as cAdvisor');
  t.equal(before.network.to(row(before, `/${sub.name}/${ctrs[0]}`)) - before.network.from(row(before, `/${sub.name}/${ctrs[0]}`)), 0,
    'a container row gets no network figures (pods only)');
  const lookups = c.usage().network.lookups;

  sender.child.stdin.write('go\n');
  await waitFor(t, 'the sender to finish', () => sender.lines.some((l) => l.startsWith('sent ')));
  const sent = Number(sender.lines.find((l) => l.startsWith('sent ')).slice(5));
  t.equal(sent, 200000);
  await waitFor(t, 'the receiver to get data', () => receiver.lines.some((l) => l.startsWith('received ')));
  // The receiving socket may drop datagrams when its buffer is full; the interface counts every one that arrived.
  // Sweep until pod B's counter has them all (or the deadline: then the assertion below fails).
  let after = c.collect();
  const rxOf = (s) => s.network.get(row(s, podPath[1]), link.dev[1], 'receive_bytes');
  for (const end = Date.now() + 10000; rxOf(after) - rx0 < sent && Date.now() < end; after = c.collect()) await sleep(50);
  const tx1 = after.network.get(row(after, podPath[0]), link.dev[0], 'transmit_bytes');
  const rx1 = after.network.get(row(after, podPath[1]), link.dev[1], 'receive_bytes');
  t.ok(tx1 - tx0 >= sent, `pod A transmit_bytes grew by ${tx1 - tx0} ≥ ${sent} sent`);
  t.ok(rx1 - rx0 >= sent, `pod B receive_bytes grew by ${rx1 - rx0} ≥ ${sent} received`);
  const txp = after.network.get(row(after, podPath[0]), link.dev[0], 'transmit_packets') -
    before.network.get(row(before, podPath[0]), link.dev[0], 'transmit_packets');
  t.ok(txp >= 200, `transmit_packets grew by ${txp} ≥ 200 datagrams`);
  t.equal(c.usage().network.lookups, lookups, 'the pids were kept between sweeps (no new look-up)');

  for (const format of ['prometheus', 'openmetrics']) {
    const text = renderMetrics(after, { format });
    const re = new RegExp(`^container_network_transmit_bytes_total\\{id="${podPath[0]}",name="",interface="${link.dev[0]}"\\} (\\d+)$`, 'm');
    t.equal(Number(re.exec(text)?.[1]), tx1, `${format}: the sample of pod A's interface`);
    if (format === 'prometheus' && !promtoolSkip) t.ok(promtoolCheck(text).ok, 'promtool check metrics');
    if (format === 'openmetrics' && !openMetricsSkip) t.ok(openMetricsCheck(text).ok, 'the OpenMetrics parser');
  }

  // Pod A's only process exits: the pid is looked up again, and the pod has no network figures.
  await sub.kill(sender.child);
  const gone = c.collect();
  t.equal(gone.network.to(row(gone, podPath[0])) - gone.network.from(row(gone, podPath[0])), 0, 'a pod without processes has no interfaces');
  t.ok(c.usage().network.lookups > lookups, 'its pid was looked up again');
  t.ok(gone.network.get(row(gone, podPath[1]), link.dev[1], 'receive_bytes') >= rx1, 'pod B still reported');
});

t.test("network: 'none', 'all' and a predicate", { skip }, async (t) => {
  const sub = makeSubtree(t, H);
  sub.mkdir();
  const child = sub.spawnSleep();
  await new Promise((r) => child.once('spawn', r));
  for (const h of H) fs.writeFileSync(sub.dir(h, 'cgroup.procs'), String(child.pid));
  const rowsWith = (options) => {
    const c = new StatsCollector({ oomEvents: false, ...options });
    t.teardown(() => c.close());
    c.add(`/${sub.name}`);
    const s = c.collect();
    return Object.keys(s.network.row(0));
  };
  t.same(rowsWith({}), [], "'pods': a cgroup that is no pod has none");
  t.same(rowsWith({ network: 'none' }), [], "'none'");
  // Our own process is in the host's namespace: 'all' reports the host's interfaces (read, never changed).
  const all = rowsWith({ network: 'all' });
  t.notOk(all.includes('lo'), "'all': lo left out");
  t.same(rowsWith({ network: (p) => p === `/${sub.name}` }), all, 'a predicate of the path');
  t.throws(() => new StatsCollector({ network: 'some' }), { code: 'ERR_INVALID_ARG_VALUE' });
});

// ---- recorded: a scratch /proc and cgroup tree ---------------------------------------------------------------------

const os = require('node:os');
const TREES = path.join(__dirname, '..', 'fixtures', 'trees');
const V2_POD = '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod123.slice';

/** A scratch /proc with net/dev texts per pid (and an ns/net file each). */
function scratchProc(t, files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cgmgr-vectors-proc-${process.pid}-`));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const [pid, text] of Object.entries(files)) {
    fs.mkdirSync(path.join(dir, pid, 'net'), { recursive: true });
    fs.mkdirSync(path.join(dir, pid, 'ns'));
    fs.writeFileSync(path.join(dir, pid, 'net', 'dev'), text);
    fs.writeFileSync(path.join(dir, pid, 'ns', 'net'), 'ns');
  }
  return dir;
}

const HEAD = 'Inter-|   Receive                                                |  Transmit\n' +
  ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';
const line = (name, base) => `${name.padStart(6)}: ${Array.from({ length: 16 }, (_, i) => base + i).join(' ')}\n`;

t.test('net/dev parsing: names cAdvisor ignores, long names, a last line without newline, many interfaces', async (t) => {
  const many = Array.from({ length: 400 }, (_, i) => line(`e${i}`, i * 100)).join('');
  const proc = scratchProc(t, {
    4242: HEAD + line('lo', 1) + line('veth1234', 2) + line('docker0', 3) + line('nerdctl0', 4) + line('eth0', 1000) +
      line('abcdefghijklmno', 2000) + line('lo2', 5) + line('eth1', 3000).trimEnd(),
  });
  const c = new StatsCollector({ root: path.join(TREES, 'v2-full'), procRoot: proc, network: (p) => p === V2_POD, oomEvents: false });
  t.teardown(() => c.close());
  c.add(V2_POD);
  let s = c.collect();
  t.same(Object.keys(s.network.row(0)), ['eth0', 'abcdefghijklmno', 'eth1'], 'lo*, veth*, docker*, nerdctl* left out, as cAdvisor');
  t.same(s.network.row(0).eth0, {
    receive_bytes: 1000, receive_packets: 1001, receive_errors: 1002, receive_dropped: 1003,
    transmit_bytes: 1008, transmit_packets: 1009, transmit_errors: 1010, transmit_dropped: 1011,
  }, 'columns 0-3 and 8-11 of the 16');
  t.equal(s.network.get(0, 'eth1', 'transmit_dropped'), 3011, 'a last line without its newline');
  // The same pid, now with 400 interfaces (more than the first read buffer): all read, names interned once.
  fs.writeFileSync(path.join(proc, '4242', 'net', 'dev'), HEAD + many);
  s = c.collect({ into: s });
  t.equal(s.network.to(0) - s.network.from(0), 400, 'every interface of a 40 KiB file');
  t.equal(s.network.get(0, 'e399', 'receive_bytes'), 39900);
  const names = s.network.keys.names.length;
  c.collect({ into: s });
  t.equal(s.network.keys.names.length, names, 'no new names on the next sweep');
  t.equal(c.usage().network.lookups, 1, 'one pid look-up in three sweeps');
  // The process goes: no entries, and the next look-up finds no other.
  fs.rmSync(path.join(proc, '4242'), { recursive: true });
  s = c.collect({ into: s });
  t.equal(s.network.to(0) - s.network.from(0), 0, 'gone: no interfaces');
  t.equal(c.usage().network.lookups, 2);
  // Its cgroup names the second pid too: once that one has a /proc entry, it is used.
  scratchProcAdd(proc, 4250, HEAD + line('eth0', 7000));
  s = c.collect({ into: s });
  t.equal(s.network.get(0, 'eth0', 'receive_bytes'), 7000, 'the next process of the pod (4250)');
});

function scratchProcAdd(dir, pid, text) {
  fs.mkdirSync(path.join(dir, String(pid), 'net'), { recursive: true });
  fs.mkdirSync(path.join(dir, String(pid), 'ns'));
  fs.writeFileSync(path.join(dir, String(pid), 'net', 'dev'), text);
  fs.writeFileSync(path.join(dir, String(pid), 'ns', 'net'), 'ns');
}

// ---- collectAsync: net/dev read on the pool ------------------------------------------------------------------------

t.test('collectAsync reads the known pids\' net/dev on the pool: the same entries as collect(), look-ups on the JS thread only when needed', async (t) => {
  const proc = scratchProc(t, { 4242: HEAD + line('eth0', 1000) + line('lo', 1) + line('eth1', 3000) });
  const c = new StatsCollector({ root: path.join(TREES, 'v2-full'), procRoot: proc, network: (p) => p === V2_POD, oomEvents: false });
  t.teardown(() => c.close());
  c.add(V2_POD);
  let s = await c.collectAsync();
  t.same(Object.keys(s.network.row(0)), ['eth0', 'eth1'], 'first sweep: the pid looked up (JS thread), its file parsed');
  t.same(c.usage().network, { reads: 1, offThread: 0, lookups: 1 }, 'a first sweep has no known pid to read on the pool');
  fs.writeFileSync(path.join(proc, '4242', 'net', 'dev'), HEAD + line('eth0', 5000) + line('eth2', 9000));
  s = await c.collectAsync({ into: s });
  t.same(Object.keys(s.network.row(0)), ['eth0', 'eth2'], 'the file as it is now');
  t.equal(s.network.get(0, 'eth0', 'receive_bytes'), 5000);
  t.equal(s.network.get(0, 'eth2', 'transmit_dropped'), 9011);
  t.same(c.usage().network, { reads: 2, offThread: 1, lookups: 1 }, 'the known pid read on the pool, no new look-up');
  const sync = c.collect();
  t.same(sync.network.row(0), s.network.row(0), 'collect() on the calling thread reads the same entries');
  t.same(c.usage().network, { reads: 3, offThread: 1, lookups: 1 });
  // The pid goes; another process of the pod appears: the pool read fails, the JS thread looks the new one up.
  fs.rmSync(path.join(proc, '4242'), { recursive: true });
  scratchProcAdd(proc, 4250, HEAD + line('eth0', 7000));
  s = await c.collectAsync({ into: s });
  t.equal(s.network.get(0, 'eth0', 'receive_bytes'), 7000, 'the next process of the pod (4250)');
  t.equal(c.usage().network.lookups, 2, 'looked up once more');
  // Its namespace changes (the ns/net link is another inode): looked up again, not read from the other namespace.
  const ns = path.join(proc, '4250', 'ns', 'net');
  fs.writeFileSync(`${ns}.new`, 'another namespace'); // made while the old one exists: another inode
  fs.renameSync(`${ns}.new`, ns);
  s = await c.collectAsync({ into: s });
  t.equal(c.usage().network.lookups, 3, 'a pid in another namespace is looked up again');
  t.equal(s.network.get(0, 'eth0', 'receive_bytes'), 7000);
});

t.test('collectAsync: net/dev values read on the pool lie between two reads of the process\'s /proc/<pid>/net/dev around the sweep', { skip: realKernelSkipReason() }, async (t) => {
  const sub = makeSubtree(t, H);
  sub.mkdir();
  const child = sub.spawnSleep();
  await new Promise((r) => child.once('spawn', r));
  for (const h of H) fs.writeFileSync(sub.dir(h, 'cgroup.procs'), String(child.pid));
  const ours = `/${sub.name}`;
  const c = new StatsCollector({ oomEvents: false, network: (p) => p === ours });
  t.teardown(() => c.close());
  c.add(ours);
  let s = await c.collectAsync(); // the pid is looked up
  const devFile = `/proc/${child.pid}/net/dev`;
  const parse = (text) => {
    const out = {};
    for (const l of text.split('\n').slice(2)) {
      const m = /^\s*([^:\s]+):\s*(.*)$/.exec(l);
      if (!m || /^(lo|veth|docker|nerdctl)/.test(m[1])) continue;
      const v = m[2].trim().split(/\s+/).map(Number);
      out[m[1]] = { receive_bytes: v[0], receive_packets: v[1], receive_errors: v[2], receive_dropped: v[3], transmit_bytes: v[8], transmit_packets: v[9], transmit_errors: v[10], transmit_dropped: v[11] };
    }
    return out;
  };
  const offThread = c.usage().network.offThread;
  const before = parse(fs.readFileSync(devFile, 'latin1'));
  s = await c.collectAsync({ into: s });
  const after = parse(fs.readFileSync(devFile, 'latin1'));
  t.equal(c.usage().network.offThread, offThread + 1, 'read on the pool');
  const row = s.network.row(s.rowOf(ours));
  t.same(Object.keys(row).sort(), Object.keys(before).sort(), 'the interfaces of the process\'s namespace (lo and veth* left out)');
  for (const [dev, cols] of Object.entries(row)) {
    for (const [k, v] of Object.entries(cols)) {
      t.ok(before[dev][k] <= v && v <= after[dev][k], `${dev} ${k}: ${before[dev][k]} ≤ ${v} ≤ ${after[dev][k]}`);
    }
  }
});

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

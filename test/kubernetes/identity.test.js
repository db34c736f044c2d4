'use strict';
// parseCgroupIdentity: every layout of issue 11 (both drivers, the common runtimes, conmon, podman, any root), and
// malformed names that must never yield a pod or container.
const t = require('tap');
const { parseCgroupIdentity } = require('../../dist');

const ID = 'a'.repeat(60) + '0123';
const UID = '6f1a2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b';
const UIDU = UID.replace(/-/g, '_');

const CASES = [
  // cgroupfs driver
  [`/kubepods/pod${UID}`, { kind: 'pod', podUid: UID, qos: 'guaranteed', driver: 'cgroupfs', podPath: `/kubepods/pod${UID}` }],
  [`/kubepods/burstable/pod${UID}`, { kind: 'pod', podUid: UID, qos: 'burstable', driver: 'cgroupfs' }],
  [`/kubepods/besteffort/pod${UID}/`, { kind: 'pod', podUid: UID, qos: 'besteffort', path: `/kubepods/besteffort/pod${UID}` }],
  [`/kubepods/burstable/pod${UID}/${ID}`, { kind: 'sandbox-or-container', podUid: UID, containerId: ID, qos: 'burstable', runtime: 'containerd', driver: 'cgroupfs' }],
  [`/kubepods/pod${UID}/crio-${ID}`, { kind: 'sandbox-or-container', containerId: ID, runtime: 'cri-o', qos: 'guaranteed' }],
  [`/kubepods/pod${UID}/crio-conmon-${ID}`, { kind: 'conmon', containerId: ID, runtime: 'cri-o' }],
  [`kubepods/burstable/pod${UID}/${ID}`, { kind: 'sandbox-or-container', path: `/kubepods/burstable/pod${UID}/${ID}` }],
  // kubepods not at the top (kubelet --cgroup-root, the CRI lab's parent)
  [`/crilab-0123456789ab/kubepods/burstable/pod${UID}/${ID}`, { kind: 'sandbox-or-container', podUid: UID, containerId: ID, podPath: `/crilab-0123456789ab/kubepods/burstable/pod${UID}` }],
  [`/a/b/c/kubepods/pod${UID}`, { kind: 'pod', podUid: UID }],
  // static pods: a 32-hex UID (a hash)
  [`/kubepods/burstable/pod${'0123456789abcdef'.repeat(2)}`, { kind: 'pod', podUid: '0123456789abcdef'.repeat(2) }],
  // systemd driver
  [`/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UIDU}.slice`, { kind: 'pod', podUid: UID, qos: 'burstable', driver: 'systemd' }],
  [`/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UIDU}.slice/crio-${ID}.scope`, { kind: 'sandbox-or-container', podUid: UID, containerId: ID, qos: 'besteffort', runtime: 'cri-o', driver: 'systemd' }],
  [`/kubepods.slice/kubepods-pod${UIDU}.slice/cri-containerd-${ID}.scope`, { kind: 'sandbox-or-container', podUid: UID, qos: 'guaranteed', runtime: 'containerd', driver: 'systemd' }],
  [`/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UIDU}.slice/docker-${ID}.scope`, { kind: 'sandbox-or-container', runtime: 'docker' }],
  [`/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UIDU}.slice/crio-conmon-${ID}.scope`, { kind: 'conmon', runtime: 'cri-o', containerId: ID }],
  [`/system.slice/k8s.slice/k8s-kubepods.slice/k8s-kubepods-pod${UIDU}.slice`, { kind: 'pod', podUid: UID, driver: 'systemd' }],
  // QoS levels and kubepods itself
  ['/kubepods', { kind: 'other', driver: 'cgroupfs' }],
  ['/kubepods/burstable', { kind: 'other', qos: 'burstable' }],
  ['/kubepods.slice/kubepods-besteffort.slice', { kind: 'other', qos: 'besteffort', driver: 'systemd' }],
  // outside Kubernetes
  [`/libpod_parent/libpod-${ID}`, { kind: 'container', containerId: ID, runtime: 'podman', driver: 'cgroupfs' }],
  [`/machine.slice/libpod-${ID}.scope`, { kind: 'container', runtime: 'podman', driver: 'systemd' }],
  [`/machine.slice/libpod-conmon-${ID}.scope`, { kind: 'conmon', runtime: 'podman' }],
  [`/system.slice/docker-${ID}.scope`, { kind: 'container', runtime: 'docker' }],
  [`/docker/${ID}`, { kind: 'container', runtime: 'docker', containerId: ID }],
  ['/', { kind: 'other', path: '/' }],
  ['/system.slice/sshd.service', { kind: 'other' }],
];

const MALFORMED = [
  `/kubepods/podnot-a-uid/${ID}`, // a UID with non-hex characters
  `/kubepods/burstable/pod/${ID}`, // no UID
  `/kubepods/burstable/pod${UID}/${ID.slice(1)}`, // 63 hex
  `/kubepods/burstable/pod${UID}/${ID}x`, // 65 characters
  `/kubepods/burstable/pod${UID}/crio-${ID.toUpperCase()}`, // upper-case id
  `/kubepods/burstable/pod${UID}/${ID}/nested`, // below a container
  `/kubepods/burstable/pod${UID}/crio-${ID}.scope`, // a systemd scope under a cgroupfs pod
  `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID}.slice`, // dashes in a systemd UID
  `/kubepods.slice/kubepods-burstable.slice/kubepods-besteffort-pod${UIDU}.slice`, // QoS of the wrong parent
  `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UIDU}.slice/${ID}`, // a bare id under systemd
  `/kubepods/burstable/pod${UID}\n/${ID}`, // a newline
  `/kubepods/burstable/pod${UID} /${ID}`, // a space
  `/kubepods/burstable/pod${UID}/crio-${ID}"}`, // label-breaking characters
  `/kubepods/burstable/pod${UID}/../pod${UID}/${ID}`, // '..'
  `/kubepods/burstable/pod--/${ID}`,
  `/some/${ID}`, // a bare id outside kubepods and /docker
  'crio-',
];

t.test('layouts', async (t) => {
  for (const [p, want] of CASES) {
    const got = parseCgroupIdentity(p);
    t.match(got, want, p);
    if (want.kind === 'other') t.equal(got.podUid, undefined, `${p}: no pod UID`);
  }
});

t.test('malformed names are other, with no pod or container', async (t) => {
  for (const p of MALFORMED) {
    const got = parseCgroupIdentity(p);
    t.equal(got.kind, 'other', JSON.stringify(p));
    t.equal(got.containerId, undefined, `${JSON.stringify(p)}: no container id`);
  }
});

t.test('bad arguments', async (t) => {
  for (const v of [undefined, null, 42, {}, ['/kubepods']]) {
    t.throws(() => parseCgroupIdentity(v), { code: 'ERR_INVALID_ARG_VALUE' }, String(v));
  }
});

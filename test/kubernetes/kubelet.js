'use strict';
// Playing kubelet over CRI for the tests: pods (RunPodSandbox with kubelet's labels, a QoS cgroup parent) and
// containers (CreateContainer by image ID, as kubelet does, with kubelet's labels; StartContainer), and their removal.
const path = require('node:path');
const crypto = require('node:crypto');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const def = protoLoader.loadSync(path.join(__dirname, 'kubelet-cri.proto'), { keepCase: true, longs: String, enums: String, defaults: true });
const pkg = grpc.loadPackageDefinition(def).runtime.v1;

class FakeKubelet {
  constructor(endpoint, cgParent) {
    this.cgParent = cgParent;
    this.rt = new pkg.RuntimeService(endpoint, grpc.credentials.createInsecure());
    this.img = new pkg.ImageService(endpoint, grpc.credentials.createInsecure());
    this.pods = new Map();
  }

  call(stub, method, req, timeoutMs = 30000) {
    return new Promise((resolve, reject) => {
      stub[method](req, { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }

  /** Waits until the CRI plugin answers (after a containerd restart it says "server is not initialized yet" for a
   * moment after containerd's own API is up). */
  async waitReady(timeoutMs = 30000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.call(this.img, 'ImageStatus', { image: { image: 'crilab.local/pause:3.9' } }, 2000);
        await this.call(this.rt, 'ListPodSandbox', {}, 2000);
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async imageId(name) {
    const r = await this.call(this.img, 'ImageStatus', { image: { image: name } });
    return r.image.id;
  }

  /** A pod: qos 'burstable' | 'besteffort' | 'guaranteed'. */
  async runPod(name, namespace, qos) {
    const uid = crypto.randomUUID();
    const qosDir = qos === 'guaranteed' ? '' : `/${qos}`;
    const cgroupParent = `${this.cgParent}/kubepods${qosDir}/pod${uid}`;
    const config = {
      metadata: { name, uid, namespace, attempt: 0 },
      hostname: '', // host network (NODE): kubelet sends no hostname
      labels: { 'io.kubernetes.pod.name': name, 'io.kubernetes.pod.namespace': namespace, 'io.kubernetes.pod.uid': uid },
      annotations: { 'kubernetes.io/config.source': 'api' },
      linux: { cgroup_parent: cgroupParent, security_context: { namespace_options: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } } },
    };
    const r = await this.call(this.rt, 'RunPodSandbox', { config });
    const pod = { name, namespace, uid, qos, config, id: r.pod_sandbox_id, cgroupParent, containers: [] };
    this.pods.set(uid, pod);
    return pod;
  }

  async runContainer(pod, name, args, resources = {}) {
    const image = await this.imageId('crilab.local/busybox:1.35');
    const config = {
      metadata: { name, attempt: 0 },
      image: { image },
      command: ['/bin/sh', '-c'],
      args,
      labels: {
        'io.kubernetes.container.name': name, 'io.kubernetes.pod.name': pod.name,
        'io.kubernetes.pod.namespace': pod.namespace, 'io.kubernetes.pod.uid': pod.uid,
      },
      linux: { resources, security_context: { namespace_options: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } } },
    };
    const c = await this.call(this.rt, 'CreateContainer', { pod_sandbox_id: pod.id, config, sandbox_config: pod.config });
    await this.call(this.rt, 'StartContainer', { container_id: c.container_id });
    const ctr = { name, id: c.container_id };
    pod.containers.push(ctr);
    return ctr;
  }

  async removeContainer(pod, ctr) {
    await this.call(this.rt, 'StopContainer', { container_id: ctr.id, timeout: 0 });
    await this.call(this.rt, 'RemoveContainer', { container_id: ctr.id });
    pod.containers = pod.containers.filter((c) => c !== ctr);
  }

  async removePod(pod) {
    await this.call(this.rt, 'StopPodSandbox', { pod_sandbox_id: pod.id });
    await this.call(this.rt, 'RemovePodSandbox', { pod_sandbox_id: pod.id });
    this.pods.delete(pod.uid);
  }

  async removeAll() {
    for (const pod of [...this.pods.values()]) await this.removePod(pod).catch(() => undefined);
  }

  close() {
    this.rt.close();
    this.img.close();
  }
}

module.exports = { FakeKubelet };

/**
 * `cgmgr serve`: the exporter's HTTP server (GET /metrics: cAdvisor's names, Prometheus text or OpenMetrics) until
 * SIGINT or SIGTERM, then a clean close and exit 0. The collector it serves holds the cgroups named on the command
 * line, or this machine's cgroups down to --depth, plus the children of every --watch parent as they come and go;
 * with --kubernetes (or --runtime-endpoint) every pod and container cgroup of the node, named from the CRI runtime
 * (lib/kubernetes). GET /healthz for probes; cgmgr's own metrics after the families. Listens on the loopback by default. The address goes to stderr; stdout stays empty unless --json ({"url"} once
 * listening).
 */
import { listCgroups } from '../walk';
import type { Command } from './command';
import type { SelfMetric } from '../exporter/self-metrics';
import type { StatsCollector } from '../collector';
import { EXIT_OK, UsageError, intOption, parseCommand, toJson } from './io';

const USAGE = `Usage: cgmgr serve [options] [path...]

Serves cgroup metrics (cAdvisor's names; Prometheus text, or OpenMetrics when asked for) at
http://HOST:PORT/metrics until SIGINT or SIGTERM, GET /healthz for probes. Without paths: this machine's cgroups
down to --depth levels.

Options:
  --port N        TCP port (default 9101; 0 picks a free one)
  --host ADDR     address to listen on (default and when empty 127.0.0.1; 0.0.0.0 or :: for every interface)
  --depth N       levels below the root to serve when no path is given (default 2)
  --watch PARENT  also serve PARENT's children as they are created and removed (repeatable)
  --root DIR      cgroup root (default /sys/fs/cgroup)
  --enable_metrics LIST   only these metric groups or families (comma-separated, repeatable; groups: cpu,
                  memory, diskIO, network, process, oom_event, pressure, spec; families by name, e.g. container_threads)
                  Naming the process group (or container_file_descriptors / container_sockets) also turns on
                  the /proc scan those two families need (cAdvisor's opt-in process metrics; off by default)
  --disable_metrics LIST  not these metric groups or families
  --label-allow LIST      only these series labels (id and a family's own labels are always kept)
  --label-deny LIST       not these series labels (e.g. image,name)
  --max-age MS    serve a finished sweep for MS milliseconds before sweeping again (default 1000)
  --network WHICH which cgroups get container_network_* (from /proc/<pid>/net/dev of one of their processes):
                  pods (default: pod-level cgroups), all, none
  --kubernetes    serve every pod and container cgroup of this node (found at any depth, followed as they
                  come and go) with kubelet's labels (namespace, pod, container, image) from the CRI runtime
  --runtime-endpoint unix:///PATH
                  the CRI socket (default $CONTAINER_RUNTIME_ENDPOINT, else /run/containerd/containerd.sock
                  or /var/run/crio/crio.sock); implies --kubernetes
  --json          print {"url": ...} on stdout once listening
  -h, --help      this text

Exit status: 0 stopped by SIGINT/SIGTERM, 1 could not start (EADDRINUSE, EACCES, no cgroup root), 2 usage error.
`;

export const DEFAULT_PORT = 9101;

/** --enable_metrics items that turn the collector's process scan on. */
const PROCESS_SCAN_NAMES = ['process', 'container_file_descriptors', 'container_sockets'];

export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve Prometheus metrics at /metrics until SIGINT/SIGTERM',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals: paths } = parseCommand(
      argv,
      {
        port: { type: 'string' },
        host: { type: 'string' },
        depth: { type: 'string' },
        watch: { type: 'string', multiple: true },
        root: { type: 'string' },
        enable_metrics: { type: 'string', multiple: true },
        disable_metrics: { type: 'string', multiple: true },
        'label-allow': { type: 'string', multiple: true },
        'label-deny': { type: 'string', multiple: true },
        'max-age': { type: 'string' },
        network: { type: 'string' },
        json: { type: 'boolean' },
        kubernetes: { type: 'boolean' },
        'runtime-endpoint': { type: 'string' },
      },
      true,
    );
    if (values.help) {
      io.stdout.write(USAGE);
      return EXIT_OK;
    }
    const port = intOption(values.port, 'port', 0, 65535) ?? DEFAULT_PORT;
    const depth = intOption(values.depth, 'depth', 0, 64) ?? 2;
    const host = values.host === undefined || values.host === '' ? '127.0.0.1' : values.host;
    const maxAgeMs = intOption(values['max-age'], 'max-age', 0, 3_600_000) ?? 1000;
    const list = (v: string[] | undefined): string[] | undefined =>
      v === undefined
        ? undefined
        : v
            .flatMap((x) => x.split(','))
            .map((x) => x.trim())
            .filter((x) => x.length > 0);
    const selection = {
      ...(values.enable_metrics ? { enable: list(values.enable_metrics) } : {}),
      ...(values.disable_metrics ? { disable: list(values.disable_metrics) } : {}),
      ...(values['label-allow'] ? { labelAllow: list(values['label-allow']) } : {}),
      ...(values['label-deny'] ? { labelDeny: list(values['label-deny']) } : {}),
    };
    // Loaded only by this command.
    const { collectorFor, controllersOptionFor, createMetricsServer, ExpositionRenderer } = await import('../exporter');
    try {
      new ExpositionRenderer(selection); // unknown groups or families, a denied id: a usage error before listening
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    // cAdvisor's process metrics are opt-in (--enable_metrics=process): the /proc scan runs only when asked for.
    const processMetrics = (selection.enable ?? []).some((x) => PROCESS_SCAN_NAMES.includes(x));
    const kubernetes = values.kubernetes === true || values['runtime-endpoint'] !== undefined;
    const network = values.network ?? 'pods';
    if (network !== 'pods' && network !== 'all' && network !== 'none')
      throw new UsageError(`--network: expected pods, all or none, got '${network}'`);
    const rootOption = {
      ...(values.root === undefined ? {} : { root: values.root }),
      ...(processMetrics ? { processMetrics } : {}),
      network,
    } as const;
    let collector: StatsCollector;
    let extraMetrics: (() => SelfMetric[]) | undefined;
    if (kubernetes) {
      const { createKubernetesCollector } = await import('../kubernetes/collector');
      // Without the controllers no served family reads, as below (made once: it starts watching and naming).
      const controllers = controllersOptionFor(rootOption, selection);
      const k = createKubernetesCollector({
        ...rootOption,
        ...(controllers === undefined ? {} : { controllers }),
        ...(values['runtime-endpoint'] === undefined ? {} : { runtimeEndpoint: values['runtime-endpoint'] }),
      });
      k.on('warning', (err) => io.stderr.write(`cgmgr: warning: ${err.message}\n`));
      k.names?.on('recovered', () =>
        io.stderr.write(`cgmgr: container runtime at ${k.runtimeEndpoint} answers again: names are back\n`),
      );
      extraMetrics = () => [
        {
          name: 'cgmgr_runtime_errors_total',
          help: 'Failed calls to the CRI runtime.',
          type: 'counter',
          value: k.names?.errors ?? 0,
        },
        {
          name: 'cgmgr_runtime_up',
          help: 'Whether the last relist of the CRI runtime succeeded.',
          type: 'gauge',
          value: k.names?.up ? 1 : 0,
        },
      ];
      collector = k;
    } else {
      // Without the controllers no served family reads (--disable_metrics diskIO,pressure: no blkio nor pressure file).
      collector = collectorFor(rootOption, selection);
    }
    try {
      for (const p of kubernetes ? paths : paths.length > 0 ? paths : listCgroups(collector.engine.layout, { depth })) {
        try {
          collector.add(p);
        } catch (err) {
          // A named cgroup must exist; one of the machine's listing may have been removed since.
          if (paths.length > 0 || (err as { code?: string }).code !== 'ENOENT') throw err;
        }
      }
      for (const parent of values.watch ?? []) collector.watch(parent);
      collector.on('error', (err) => io.stderr.write(`cgmgr: watch: ${err.message}\n`));
      const server = await createMetricsServer({
        port,
        host,
        collector,
        maxAgeMs,
        ...selection,
        selfMetrics: true,
        ...(extraMetrics ? { extraMetrics } : {}),
      });
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        const onSignal = (s: NodeJS.Signals): void => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          resolve(s);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        if (values.json) io.stdout.write(toJson({ url: server.url }, 0));
        io.stderr.write(`cgmgr: serving ${collector.size} cgroups at ${server.url} (SIGINT or SIGTERM stops)\n`);
      });
      await server.close();
      io.stderr.write(`cgmgr: ${signal}: stopped\n`);
    } finally {
      collector.close();
    }
    return EXIT_OK;
  },
};

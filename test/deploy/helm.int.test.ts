/**
 * The Helm chart (deploy/helm/stream-retail-etl) without a cluster: `helm lint --strict` and
 * `helm template` for each values file, then checks on the rendered manifests — every pipeline
 * process has probes and resources, no credential in a ConfigMap, replicas within the partitions,
 * every alert and recording rule in the PrometheusRule, the NetworkPolicies admit exactly the flows
 * docs/deploy.md documents, and values.schema.json refuses unknown keys.
 * helm comes from scripts/install-helm.sh (run by scripts/install-test-tools.sh in `make test`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { CONFIG_COMPONENTS } from '../../cli/config-docs.js';
import { DEFAULT_TOPIC_SPECS } from '../../lib/contracts/topics.js';
import { PIPELINE_SERVICES } from '../../stack/pipeline.js';
import { projectRoot } from '../../stack/paths.js';

const root = projectRoot();
const chart = join(root, 'deploy', 'helm', 'stream-retail-etl');
const helmBin = join(root, '.stack', 'tools', 'bin', 'helm');
const validatorBin = join(root, '.stack', 'tools', 'bin', 'k8s-validate');
const NAMESPACE = 'retail';

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

function helm(args: string[]) {
  return spawnSync(helmBin, args, { cwd: root, encoding: 'utf8' });
}

function render(valuesFile: string | undefined, extra: string[] = []) {
  const files = valuesFile ? ['-f', join(chart, valuesFile)] : [];
  return helm(['template', 'retail', chart, '--namespace', NAMESPACE, ...files, ...extra]);
}

function manifests(valuesFile: string | undefined): Manifest[] {
  const res = render(valuesFile);
  expect(res.status, res.stderr).toBe(0);
  const docs = parseAllDocuments(res.stdout);
  // Duplicate keys and the like: YAML the API server would refuse or read differently.
  expect(docs.flatMap((d) => d.errors.map((e) => e.message))).toEqual([]);
  return docs.map((d) => d.toJS() as Manifest | null).filter((m): m is Manifest => m !== null);
}

const VALUES_FILES = ['values.yaml', 'values-small.yaml', 'values-large.yaml'] as const;

/** Component label → the process's values key, args and port as stack/pipeline.ts has them. */
const INPUTS: Record<string, string[]> = {
  'sink-postgres': ['retail.sales.v1'],
  'sink-clickhouse': ['retail.sales.v1'],
  processors: ['retail.sales.v1'],
  'sink-aggregates': [
    'retail.agg.sales-hourly.v1',
    'retail.agg.top-skus.v1',
    'retail.agg.store-rolling-1h.v1',
  ],
  'sink-aggregates-clickhouse': [
    'retail.agg.sales-hourly.v1',
    'retail.agg.top-skus.v1',
    'retail.agg.store-rolling-1h.v1',
  ],
};

const EXPECTED_PROCESSES: Record<string, string[]> = {
  'values.yaml': ['producer', 'serve', 'sink-postgres', 'processors', 'sink-aggregates'],
  'values-small.yaml': PIPELINE_SERVICES.map((s) => s.name),
  'values-large.yaml': PIPELINE_SERVICES.map((s) => s.name).filter((n) => n !== 'producer'),
};

const component = (m: Manifest) => m.metadata.labels?.['app.kubernetes.io/component'] ?? '';
const isProcess = (m: Manifest) =>
  m.kind === 'Deployment' && PIPELINE_SERVICES.some((s) => s.name === component(m));

interface Container {
  args: string[];
  ports: { containerPort: number }[];
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  startupProbe?: { httpGet?: { path: string; port: number } };
  livenessProbe?: { httpGet?: { path: string; port: number } };
  readinessProbe?: { httpGet?: { path: string; port: number } };
  envFrom?: { configMapRef?: { name: string } }[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
}
interface PodSpec {
  containers: Container[];
  terminationGracePeriodSeconds?: number;
}
const podSpec = (m: Manifest) => (m.spec as { template: { spec: PodSpec } }).template.spec;

beforeAll(() => {
  for (const bin of [helmBin, validatorBin]) {
    if (!existsSync(bin)) {
      throw new Error(`${bin} is missing: run scripts/install-helm.sh (make test runs it)`);
    }
  }
});

describe('Helm chart deploy/helm/stream-retail-etl', () => {
  it.each(VALUES_FILES)('passes helm lint --strict with %s', (file) => {
    const res = helm(['lint', '--strict', chart, '-f', join(chart, file)]);
    expect(res.status, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain('0 chart(s) failed');
  });

  it.each(VALUES_FILES)(
    'renders manifests the Kubernetes and Prometheus Operator types accept strictly (%s)',
    (file) => {
      const rendered = render(file);
      expect(rendered.status, rendered.stderr).toBe(0);
      // deploy/helm/validate: strict decoding into the Go types (unknown fields, wrong types, bad
      // quantities fail). Strimzi and KEDA resources have no Go types there and stay unchecked.
      const res = spawnSync(validatorBin, [], { input: rendered.stdout, encoding: 'utf8' });
      const report = JSON.parse(res.stdout) as {
        checked: number;
        invalid: string[];
        unchecked: Record<string, number>;
      };
      expect(report.invalid).toEqual([]);
      expect(res.status, res.stderr).toBe(0);
      expect(report.checked).toBeGreaterThan(30);
      for (const kind of Object.keys(report.unchecked))
        expect(kind).toMatch(/^(kafka\.strimzi\.io|keda\.sh)\//);
    },
  );

  it.each(VALUES_FILES)('renders every process with probes, resources and a graceful stop (%s)', (file) => {
    const docs = manifests(file);
    const deployments = docs.filter(isProcess);
    expect(deployments.map(component).sort()).toEqual([...EXPECTED_PROCESSES[file]!].sort());
    for (const d of deployments) {
      const service = PIPELINE_SERVICES.find((s) => s.name === component(d))!;
      const spec = podSpec(d);
      const c = spec.containers[0]!;
      // The same command and port as `make up` (the producer's rate moves to PRODUCER_RATE).
      const args = service.args.filter((a, i, all) => a !== '--rate' && all[i - 1] !== '--rate');
      expect(c.args, d.metadata.name).toEqual(args);
      expect(c.ports.map((p) => p.containerPort)).toEqual([service.port]);
      expect(c.startupProbe?.httpGet, d.metadata.name).toEqual({ path: '/healthz', port: service.port });
      expect(c.livenessProbe?.httpGet, d.metadata.name).toEqual({ path: '/healthz', port: service.port });
      expect(c.readinessProbe?.httpGet, d.metadata.name).toEqual({ path: '/readyz', port: service.port });
      for (const kind of ['requests', 'limits'] as const) {
        expect(c.resources?.[kind]?.['cpu'], `${d.metadata.name} ${kind}.cpu`).toBeDefined();
        expect(c.resources?.[kind]?.['memory'], `${d.metadata.name} ${kind}.memory`).toBeDefined();
      }
      expect(spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30);
      // Its settings: the port variable and an address Kubernetes can reach.
      const cm = docs.find(
        (m) => m.kind === 'ConfigMap' && m.metadata.name === c.envFrom?.[0]?.configMapRef?.name,
      );
      expect(cm?.data?.[service.portEnv]).toBe(String(service.port));
      expect(cm?.data?.['RETAIL_LISTEN_HOST']).toBe('0.0.0.0');
      // A PodDisruptionBudget and a Service per process.
      for (const kind of ['PodDisruptionBudget', 'Service']) {
        expect(
          docs.some((m) => m.kind === kind && component(m) === service.name),
          `${kind} of ${service.name}`,
        ).toBe(true);
      }
    }
  });

  it.each(VALUES_FILES)('keeps every credential out of the ConfigMaps (%s)', (file) => {
    const docs = manifests(file);
    const secretValues = docs
      .filter((m) => m.kind === 'Secret')
      .flatMap((m) => Object.values(m.stringData ?? {}))
      .filter((v) => v.length >= 8);
    const configMaps = docs.filter((m) => m.kind === 'ConfigMap');
    expect(configMaps.length).toBeGreaterThan(0);
    for (const cm of configMaps) {
      for (const [key, value] of Object.entries(cm.data ?? {})) {
        expect(key, cm.metadata.name).not.toMatch(/PASSWORD|TOKEN|SECRET|^DATABASE_URL$|^CLICKHOUSE_URL$/);
        expect(value, `${cm.metadata.name} ${key}`).not.toMatch(/:\/\/[^/\s:@]+:[^@\s/]+@/);
        for (const secret of secretValues)
          expect(value.includes(secret), `${cm.metadata.name} ${key}`).toBe(false);
      }
    }
    // Every credential a process reads comes from a Secret.
    for (const d of docs.filter(isProcess)) {
      for (const e of podSpec(d).containers[0]!.env ?? []) {
        expect(e.value, `${d.metadata.name} ${e.name}`).toBeUndefined();
        expect(e.valueFrom).toHaveProperty('secretKeyRef');
      }
    }
  });

  it.each(VALUES_FILES)('sets only variables the code declares (%s)', (file) => {
    const declared = new Set(
      CONFIG_COMPONENTS.flatMap((c) => c.schemas.flatMap((s) => Object.values(s).map((f) => f.env))),
    );
    const docs = manifests(file);
    for (const d of docs.filter(isProcess)) {
      const c = podSpec(d).containers[0]!;
      const cm = docs.find(
        (m) => m.kind === 'ConfigMap' && m.metadata.name === c.envFrom?.[0]?.configMapRef?.name,
      );
      const names = [...Object.keys(cm?.data ?? {}), ...(c.env ?? []).map((e) => e.name)];
      const unknown = names.filter((n) => !declared.has(n));
      expect(unknown, d.metadata.name).toEqual([]);
    }
  });

  it.each(VALUES_FILES)('declares every topic and keeps consumers within their partitions (%s)', (file) => {
    const docs = manifests(file);
    const values = parse(readFileSync(join(chart, 'values.yaml'), 'utf8')) as {
      topics: Record<string, { partitions?: number }>;
    };
    const partitions = new Map(
      docs
        .filter((m) => m.kind === 'KafkaTopic')
        .map((m) => {
          const s = m.spec as { topicName: string; partitions: number; config: Record<string, string> };
          return [s.topicName, s] as const;
        }),
    );
    for (const spec of DEFAULT_TOPIC_SPECS) {
      const topic = partitions.get(spec.topic);
      expect(topic, spec.topic).toBeDefined();
      if (spec.compacted) expect(topic?.config['cleanup.policy']).toBe('compact');
    }
    if (file === 'values.yaml') {
      // The chart's defaults are the project's layout (lib/contracts/topics.ts).
      for (const spec of DEFAULT_TOPIC_SPECS)
        expect(partitions.get(spec.topic)?.partitions).toBe(spec.numPartitions);
      expect(Object.keys(values.topics).length).toBeGreaterThan(DEFAULT_TOPIC_SPECS.length);
    }
    // The processors' internal topics exist too, so no process creates a topic with replication 1.
    expect(
      [...partitions.keys()].filter((t) => t.startsWith('retail-etl-processor-topology-all-')),
    ).toHaveLength(3);
    for (const d of docs.filter(isProcess)) {
      const inputs = INPUTS[component(d)];
      if (!inputs) continue;
      const bound = Math.max(...inputs.map((t) => partitions.get(t)?.partitions ?? 0));
      const replicas = (d.spec as { replicas?: number }).replicas;
      const scaled = docs.find((m) => m.kind === 'ScaledObject' && component(m) === component(d));
      if (scaled) {
        expect(replicas, 'an autoscaled Deployment leaves replicas to KEDA').toBeUndefined();
        const s = scaled.spec as { maxReplicaCount: number; minReplicaCount: number; triggers: unknown[] };
        expect(s.maxReplicaCount, d.metadata.name).toBeLessThanOrEqual(bound);
        expect(s.minReplicaCount).toBeLessThanOrEqual(s.maxReplicaCount);
        expect(JSON.stringify(s.triggers)).toContain('consumer_lag_messages');
      } else {
        expect(replicas, d.metadata.name).toBeLessThanOrEqual(bound);
      }
    }
  });

  it('refuses to render more replicas than partitions', () => {
    const res = render(undefined, ['--set', 'processes.sinkPostgres.replicas=7']);
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain('exceeds the 6 partitions');
  });

  it('caps a ScaledObject at the partitions of its input', () => {
    const res = render(undefined, [
      '--set',
      'processes.processors.autoscaling.enabled=true',
      '--set',
      'processes.processors.autoscaling.maxReplicas=50',
    ]);
    expect(res.status, res.stderr).toBe(0);
    const scaled = parseAllDocuments(res.stdout)
      .map((d) => d.toJS() as Manifest | null)
      .find((m) => m?.kind === 'ScaledObject');
    expect((scaled?.spec as { maxReplicaCount: number }).maxReplicaCount).toBe(6);
  });

  it('carries every recording and alert rule of dashboards/rules, and every dashboard', () => {
    const docs = manifests('values.yaml');
    const rulesDir = join(root, 'dashboards', 'rules');
    const names = (groups: { rules: { alert?: string; record?: string }[] }[]) =>
      groups.flatMap((g) => g.rules.map((r) => r.alert ?? r.record ?? '')).sort();
    const expected = names(
      readdirSync(rulesDir)
        .filter((f) => f.endsWith('.yml'))
        .flatMap((f) => (parse(readFileSync(join(rulesDir, f), 'utf8')) as { groups: never[] }).groups),
    );
    expect(expected.length).toBeGreaterThan(20);
    const rule = docs.find((m) => m.kind === 'PrometheusRule');
    expect(names((rule?.spec as { groups: never[] }).groups)).toEqual(expected);
    // ServiceMonitors give the job label the rules and dashboards select (retail-<process>).
    for (const d of docs.filter(isProcess)) {
      const sm = docs.find((m) => m.kind === 'ServiceMonitor' && component(m) === component(d));
      expect(JSON.stringify(sm?.spec)).toContain(`"replacement":"retail-${component(d)}"`);
    }
    const dashboards = readdirSync(join(root, 'dashboards')).filter((f) => f.endsWith('.json'));
    const maps = docs.filter(
      (m) => m.kind === 'ConfigMap' && m.metadata.labels?.['grafana_dashboard'] === '1',
    );
    expect(maps.flatMap((m) => Object.keys(m.data ?? {})).sort()).toEqual(
      dashboards.map((f) => `retail-${f}`).sort(),
    );
    for (const m of maps)
      for (const json of Object.values(m.data ?? {})) expect(() => JSON.parse(json) as unknown).not.toThrow();
  });

  it('gives every process its own SCRAM KafkaUser with ACLs', () => {
    const docs = manifests('values-small.yaml');
    const users = docs.filter((m) => m.kind === 'KafkaUser');
    expect(users.map(component).sort()).toEqual(PIPELINE_SERVICES.map((s) => s.name).sort());
    for (const u of users) {
      const spec = u.spec as { authentication: { type: string }; authorization: { acls: unknown[] } };
      expect(spec.authentication.type).toBe('scram-sha-512');
      expect(spec.authorization.acls.length).toBeGreaterThan(2);
      // The process reads its password from the Secret Strimzi writes for this user.
      const d = docs.find((m) => isProcess(m) && component(m) === component(u))!;
      const env = podSpec(d).containers[0]!.env ?? [];
      expect(env.find((e) => e.name === 'KAFKA_SASL_PASSWORD')?.valueFrom).toEqual({
        secretKeyRef: { name: u.metadata.name, key: 'password' },
      });
    }
    const kafka = docs.find((m) => m.kind === 'Kafka');
    expect(JSON.stringify(kafka)).toContain('"strimzi.io/kraft":"enabled"');
    expect(docs.some((m) => m.kind === 'KafkaNodePool')).toBe(true);
  });

  describe('NetworkPolicies', () => {
    /** "peer:port" flows of one policy direction; a peer is named by what it selects. */
    function flows(
      rules: { ports?: { port: number }[]; from?: Peer[]; to?: Peer[] }[] | undefined,
    ): string[] {
      const out: string[] = [];
      for (const r of rules ?? []) {
        const peers = r.from ?? r.to;
        for (const p of r.ports ?? []) {
          for (const peer of peers ? peers.map(peerName) : ['any']) out.push(`${peer}:${p.port}`);
        }
      }
      return [...new Set(out)].sort();
    }
    interface Peer {
      podSelector?: {
        matchLabels?: Record<string, string>;
        matchExpressions?: { key: string; values: string[] }[];
      };
      namespaceSelector?: { matchLabels?: Record<string, string> };
      ipBlock?: { cidr: string };
    }
    function peerName(p: Peer): string {
      if (p.ipBlock) return `cidr ${p.ipBlock.cidr}`;
      if (p.namespaceSelector)
        return `ns ${p.namespaceSelector.matchLabels?.['kubernetes.io/metadata.name']}`;
      const labels = p.podSelector?.matchLabels ?? {};
      if (labels['strimzi.io/kind'] === 'Kafka') return 'kafka';
      const c = labels['app.kubernetes.io/component'];
      if (c) return c;
      const expr = p.podSelector?.matchExpressions?.find((e) => e.key === 'app.kubernetes.io/component');
      return expr ? expr.values.slice().sort().join('|') : 'unknown';
    }
    function policies(file: string | undefined) {
      return new Map(
        manifests(file)
          .filter((m) => m.kind === 'NetworkPolicy')
          .map((m) => {
            const s = m.spec as { policyTypes: string[]; ingress?: never; egress?: never };
            expect(s.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
            return [component(m), { ingress: flows(s.ingress), egress: flows(s.egress) }] as const;
          }),
      );
    }
    const dns = ['any:53'];

    // docs/deploy.md#network-flows: the same table.
    it('admit exactly the documented flows (in-cluster servers)', () => {
      const got = policies('values-small.yaml');
      const base = [...dns, 'kafka:9092', 'schema-registry:8080'];
      const expected: Record<string, { ingress: string[]; egress: string[] }> = {
        producer: { ingress: ['ns monitoring:9401'], egress: base },
        serve: {
          ingress: ['any:8080'],
          egress: [...base, 'postgres:5432', 'ns monitoring:9090'],
        },
        'sink-postgres': { ingress: ['ns monitoring:9402'], egress: [...base, 'postgres:5432'] },
        'sink-clickhouse': { ingress: ['ns monitoring:9403'], egress: [...base, 'clickhouse:8123'] },
        processors: { ingress: ['ns monitoring:9404'], egress: base },
        'sink-aggregates': { ingress: ['ns monitoring:9405'], egress: [...base, 'postgres:5432'] },
        'sink-aggregates-clickhouse': {
          ingress: ['ns monitoring:9406'],
          egress: [...base, 'clickhouse:8123'],
        },
        postgres: { ingress: ['schema-registry|serve|sink-aggregates|sink-postgres:5432'], egress: dns },
        clickhouse: { ingress: ['sink-aggregates-clickhouse|sink-clickhouse:8123'], egress: dns },
        'schema-registry': {
          ingress: [
            'processors|producer|serve|sink-aggregates|sink-aggregates-clickhouse|sink-clickhouse|sink-postgres:8080',
          ],
          egress: [...dns, 'postgres:5432'],
        },
      };
      for (const e of Object.values(expected)) {
        e.ingress.sort();
        e.egress.sort();
      }
      expect(Object.fromEntries(got)).toEqual(expected);
    });

    it('admit API clients only from networkPolicy.apiFrom, and external servers by CIDR', () => {
      const got = policies('values-large.yaml');
      expect(got.get('serve')?.ingress).toEqual(['ns ingress-nginx:8080', 'ns monitoring:8080']);
      const cidr = 'cidr 10.0.0.0/16';
      expect(got.get('serve')?.egress).toEqual(
        [...dns, 'kafka:9092', `${cidr}:443`, `${cidr}:5432`, 'ns monitoring:9090'].sort(),
      );
      expect(got.get('sink-clickhouse')?.egress).toEqual(
        [...dns, 'kafka:9092', `${cidr}:443`, `${cidr}:8123`, `${cidr}:8443`].sort(),
      );
      expect(got.has('postgres')).toBe(false);
    });
  });

  describe('values.schema.json', () => {
    it('declares exactly the keys of values.yaml (no undocumented key is accepted)', () => {
      type Node = { properties?: Record<string, Node> };
      const schema = JSON.parse(readFileSync(join(chart, 'values.schema.json'), 'utf8')) as Node;
      const values = parse(readFileSync(join(chart, 'values.yaml'), 'utf8')) as unknown;
      const missing: string[] = [];
      const walk = (v: unknown, n: Node, path: string) => {
        if (!n.properties || typeof v !== 'object' || v === null || Array.isArray(v)) return;
        const keys = Object.keys(v);
        for (const k of Object.keys(n.properties)) {
          if (!keys.includes(k) && !(path === '' && k === 'global')) missing.push(`${path}${k}`);
        }
        for (const k of keys) walk((v as Record<string, unknown>)[k], n.properties[k] ?? {}, `${path}${k}.`);
      };
      walk(values, schema, '');
      expect(missing).toEqual([]);
    });

    it.each([
      ['an unknown top-level key', ['--set', 'replicaCount=2']],
      ['an unknown key of a process', ['--set', 'processes.serve.replica=2']],
      ['a misspelled topic', ['--set', 'topics.salse.partitions=6']],
      ['a credential in a process env', ['--set', 'processes.serve.env.DATABASE_URL=postgres://u:p@h/db']],
      ['a password in a process env', ['--set', 'processes.producer.env.KAFKA_SASL_PASSWORD=x']],
    ])('refuses %s', (_what, extra) => {
      const res = render(undefined, extra);
      expect(res.status).not.toBe(0);
      expect(res.stderr).toMatch(/values don't meet the specifications of the schema/);
    });
  });
});

// The whole install as Kubernetes objects, pure: `outrigger-injector manifests | kubectl apply -f -`.
// The injector Deployment runs `webhook` (admission webhook + CA signer); the webhook configuration
// sends it pod creations of labelled namespaces only. RBAC is one verb: create tokenreviews.
import { INJECT_LABEL, type SidecarMode } from '@outrigger/inject';
import type { IMutatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1/MutatingWebhookConfiguration';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IService } from 'kubernetes-models/v1/Service';

export interface ManifestOptions {
  namespace: string;
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never' | undefined;
  sidecar: SidecarMode;
  ipv6: boolean;
  replicas: number;
  caCertPem: string;
  caKeyPem: string;
  /** The mesh ConfigMap's proxy.yaml, as text. */
  meshConfigYaml: string;
}

export type KubeObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> } } & Record<string, unknown>;

const NAME = 'outrigger-injector';
const UID = 10001; // the image's user (deploy/Dockerfile)
const LABELS = { 'app.kubernetes.io/name': NAME, 'app.kubernetes.io/part-of': 'outrigger' };
const CA_DIR = '/var/run/outrigger/ca';
const MESH_DIR = '/etc/outrigger/mesh';
const b64 = (text: string) => Buffer.from(text).toString('base64');

export const FAILURE_POLICY_COMMENT = ` failurePolicy Ignore: a pod is never refused because the injector is down or slow; it starts
 without the sidecar instead (no outrigger.io/status annotation: find such pods and re-create them
 with kubectl rollout restart). Fail would make every pod creation in labelled namespaces depend
 on the injector, including those that would bring it back.`;

export function renderManifests(o: ManifestOptions): KubeObject[] {
  const ns = o.namespace;
  const meta = (name: string, namespaced = true) => ({ name, ...(namespaced ? { namespace: ns } : {}), labels: LABELS });
  return [
    // Never injected itself: every proxy needs this CA signer to start.
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { ...LABELS, [INJECT_LABEL]: 'disabled', 'pod-security.kubernetes.io/enforce': 'restricted' } } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(NAME) },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: meta(NAME, false),
      // The CA signer checks each proxy's ServiceAccount token; the webhook needs no API access.
      rules: [{ apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: meta(NAME, false),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: NAME },
      subjects: [{ kind: 'ServiceAccount', name: NAME, namespace: ns }],
    },
    { apiVersion: 'v1', kind: 'Secret', metadata: meta('outrigger-ca'), type: 'Opaque', data: { 'ca.crt': b64(o.caCertPem), 'ca.key': b64(o.caKeyPem) } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('outrigger-mesh'), data: { 'proxy.yaml': o.meshConfigYaml } },
    service(NAME, ns, { name: 'https-webhook', port: 443, targetPort: 'https-webhook' }),
    service('outrigger-ca', ns, { name: 'https-ca', port: 15012, targetPort: 'https-ca' }),
    deployment(o),
    ...(o.replicas > 1
      ? [{ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: meta(NAME), spec: { minAvailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': NAME } } } }]
      : []),
    webhookConfiguration(ns, o.caCertPem),
  ];
}

// Typed by kubernetes-models (types only), so a misspelt field fails `tsc`.
function service(name: string, ns: string, port: { name: string; port: number; targetPort: string }): IService & KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, labels: LABELS },
    spec: { selector: { 'app.kubernetes.io/name': NAME }, ports: [{ ...port, protocol: 'TCP' }] },
  };
}

function deployment(o: ManifestOptions): IDeployment & KubeObject {
  const healthz = { httpGet: { path: '/healthz', port: 'https-webhook', scheme: 'HTTPS' as const }, timeoutSeconds: 2 };
  const args = ['webhook', '--ca-dir', CA_DIR, '--mesh-config', `${MESH_DIR}/proxy.yaml`, '--namespace', o.namespace, '--image', o.image, '--sidecar', o.sidecar,
    ...(o.imagePullPolicy === undefined ? [] : ['--image-pull-policy', o.imagePullPolicy]), ...(o.ipv6 ? ['--ipv6'] : [])];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: NAME, namespace: o.namespace, labels: LABELS },
    spec: {
      replicas: o.replicas,
      selector: { matchLabels: { 'app.kubernetes.io/name': NAME } },
      template: {
        metadata: { labels: LABELS, annotations: { [INJECT_LABEL]: 'disabled' } },
        spec: {
          serviceAccountName: NAME,
          securityContext: { runAsNonRoot: true, runAsUser: UID, runAsGroup: UID, fsGroup: UID, seccompProfile: { type: 'RuntimeDefault' } },
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { 'app.kubernetes.io/name': NAME } } }],
          containers: [{
            name: 'injector',
            image: o.image,
            ...(o.imagePullPolicy === undefined ? {} : { imagePullPolicy: o.imagePullPolicy }),
            command: ['outrigger-injector'],
            args,
            ports: [{ name: 'https-webhook', containerPort: 9443, protocol: 'TCP' }, { name: 'https-ca', containerPort: 15012, protocol: 'TCP' }],
            readinessProbe: { ...healthz, periodSeconds: 5 },
            livenessProbe: { ...healthz, periodSeconds: 10, failureThreshold: 6 },
            resources: { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '256Mi' } },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
            volumeMounts: [{ name: 'ca', mountPath: CA_DIR, readOnly: true }, { name: 'mesh', mountPath: MESH_DIR, readOnly: true }],
          }],
          // 0440 with fsGroup: readable by the injector's group, and by no one else in the pod.
          volumes: [{ name: 'ca', secret: { secretName: 'outrigger-ca', defaultMode: 0o440 } }, { name: 'mesh', configMap: { name: 'outrigger-mesh' } }],
        },
      },
    },
  };
}

function webhookConfiguration(ns: string, caCertPem: string): IMutatingWebhookConfiguration & KubeObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: NAME, labels: LABELS },
    webhooks: [{
      name: 'inject.outrigger.io',
      admissionReviewVersions: ['v1'],
      clientConfig: { service: { name: NAME, namespace: ns, path: '/inject', port: 443 }, caBundle: b64(caCertPem) },
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }],
      // The API server filters: only labelled namespaces, never the system ones or our own.
      namespaceSelector: {
        matchExpressions: [
          { key: INJECT_LABEL, operator: 'In', values: ['enabled'] },
          { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'kube-public', 'kube-node-lease', ns] },
        ],
      },
      matchPolicy: 'Equivalent',
      sideEffects: 'None',
      timeoutSeconds: 10,
      failurePolicy: 'Ignore',
      reinvocationPolicy: 'Never',
    }],
  };
}

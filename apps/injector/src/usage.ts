// Usage text for every command, kept together so the help reads the same everywhere.

export const MAIN_USAGE = `Usage: outrigger-injector <command> [flags]

Commands:
  ca init     create the mesh CA (ca.crt, ca.key)
  ca issue    issue a workload certificate (tls.crt, tls.key, ca.crt)
  ca-signer   serve the mesh CA: sign workload CSRs for verified ServiceAccount tokens
  init        install the iptables rules that send the pod's TCP traffic through the proxy
  webhook     serve the admission webhook that injects the sidecar, and the CA signer
  inject      inject the sidecar into the workloads of a YAML file (clusters without the webhook)
  manifests   print the install (namespace, RBAC, CA, injector, webhook configuration) as YAML
  wait-ready  wait until a URL answers 200 (the legacy sidecar's postStart hook)

Run 'outrigger-injector <command> --help' for a command's flags.`;

export const CA_USAGE = `Usage: outrigger-injector ca <init|issue> [flags]

  ca init     create the mesh CA (ca.crt, ca.key)
  ca issue    issue a workload certificate (tls.crt, tls.key, ca.crt)`;

export const CA_INIT_USAGE = `Usage: outrigger-injector ca init --dir DIR [flags]

Creates a self-signed mesh CA: DIR/ca.crt and DIR/ca.key (mode 0600).

Flags:
  --dir DIR               directory to write into (created if missing)
  --trust-domain TD       SPIFFE trust domain (default cluster.local)
  --validity-days N       lifetime of the CA in days (default 365)
  --force                 replace an existing CA; certificates it issued stop being trusted
  -h, --help              show this help`;

export const CA_ISSUE_USAGE = `Usage: outrigger-injector ca issue --ca-dir DIR --out DIR --namespace NS --service-account SA [flags]

Issues a workload certificate for spiffe://<trust-domain>/ns/<NS>/sa/<SA>:
OUT/tls.crt, OUT/tls.key (mode 0600) and OUT/ca.crt (the trust bundle).

Flags:
  --ca-dir DIR            directory holding ca.crt and ca.key (from 'ca init')
  --out DIR               directory to write into (created if missing)
  --namespace NS          Kubernetes namespace of the workload
  --service-account SA    Kubernetes ServiceAccount of the workload
  --trust-domain TD       must match the CA's (default: the CA's, else cluster.local)
  --dns NAME              DNS name to add to the certificate (repeatable)
  --ip ADDR               IP address to add to the certificate (repeatable)
  --validity-hours N      lifetime in hours (default 24, never past the CA's)
  -h, --help              show this help`;

export const CA_SIGNER_USAGE = `Usage: outrigger-injector ca-signer --ca-dir DIR [flags]

Signs workload certificates over HTTPS: POST /v1/certificates with the workload's projected
ServiceAccount token (Authorization: Bearer) and {"csr": "<PEM>"}. The token is checked with the
Kubernetes TokenReview API; the CSR must ask for exactly spiffe://<td>/ns/<ns>/sa/<sa> of that
ServiceAccount. GET /healthz answers 200. See docs/reference/cli.md.

Flags:
  --ca-dir DIR              directory holding ca.crt and ca.key (from 'ca init')
  --listen ADDR:PORT        where to listen (default 0.0.0.0:15012; port 0 picks a free port)
  --tls-cert FILE           the signer's serving certificate (with --tls-key; default: issued
  --tls-key FILE              from the CA for the identity below, renewed every 12 h)
  --trust-domain TD         must match the CA's (default: the CA's, else cluster.local)
  --namespace NS            the signer's own namespace (default outrigger-system)
  --service-account SA      the signer's own ServiceAccount (default outrigger-injector)
  --dns NAME                DNS name of the serving certificate (repeatable;
                              default outrigger-ca.outrigger-system.svc)
  --ip ADDR                 IP address of the serving certificate (repeatable)
  --kube-api URL            the API server (default https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT)
  --kube-token-file FILE    the signer's own token, re-read for every TokenReview
                              (default /var/run/secrets/kubernetes.io/serviceaccount/token)
  --kube-ca-file FILE       CA of the API server (default /var/run/secrets/kubernetes.io/serviceaccount/ca.crt)
  --audience AUD            audience workload tokens must carry (default outrigger)
  --validity-hours N        lifetime of the certificates it signs (default 24, at most 168)
  --validity-seconds N      lifetime in seconds instead; for tests of rotation
  -h, --help                show this help`;

export const INIT_USAGE = `Usage: outrigger-injector init [capture flags] [--dry-run] [--cleanup] [--backend auto|nft|legacy]

Installs the nat rules that redirect the pod's TCP traffic to the proxy: chains OUTRIGGER_INBOUND
(from PREROUTING) and OUTRIGGER_OUTPUT (from OUTPUT). Safe to re-run. Prints our lines of
iptables-save afterwards. Needs CAP_NET_ADMIN and CAP_NET_RAW. See docs/reference/init.md.

Capture flags (lists are comma-separated; an empty value is an empty list):
  --inbound-port N                    proxy inbound listener (default 15006)
  --outbound-port N                   proxy outbound listener (default 15001)
  --admin-port N                      proxy admin server (default 15020)
  --proxy-uid N                       uid the proxy runs as; its traffic is not captured (default 1337)
  --proxy-gid N                       gid the proxy runs as; likewise (default 1337)
  --inbound-ports P,...               redirect only these inbound ports (default: all)
  --exclude-inbound-ports P,...       inbound ports never redirected (default: none)
  --exclude-outbound-ports P,...      outbound ports never redirected (default: none)
  --include-outbound-cidrs C,...      capture outbound only to these blocks; '*' is all (default: all)
  --exclude-outbound-cidrs C,...      destinations never captured (default: none)
  --exclude-inbound-source-cidrs C,...  sources whose inbound traffic is not captured (default: none)
  --ipv6 [true|false]                 also install the rules with ip6tables (default false)

Flags:
  --dry-run                           print the commands, change nothing (no root needed)
  --cleanup                           remove our jumps and chains instead
  --backend auto|nft|legacy           iptables backend (default auto: the one whose nat table has rules)
  -h, --help                          show this help`;

const INJECT_FLAG_HELP = `  --mesh-config FILE        the mesh config (proxy.yaml of the mesh ConfigMap) every pod's proxy
                              config starts from (default: the built-in one 'manifests' installs)
  --image IMAGE             image of the injected containers (default ghcr.io/outrigger/outrigger:0.1.0)
  --image-pull-policy P     Always, IfNotPresent or Never (default: the cluster's)
  --sidecar native|legacy   native sidecar (Kubernetes 1.29+, default) or first container; pods
                              override it with the annotation outrigger.io/sidecar
  --ipv6                    install the capture rules for IPv6 too (dual-stack clusters)`;

export const WEBHOOK_USAGE = `Usage: outrigger-injector webhook --ca-dir DIR [flags]

Serves the admission webhook over HTTPS: POST /inject takes an AdmissionReview v1 for a pod and
answers with a JSON Patch that adds the sidecar (or none when the pod is skipped); GET /healthz,
GET /metrics. Runs the CA signer (see 'ca-signer --help') in the same process; both ports serve one
certificate issued from the CA for outrigger-injector.NS.svc and outrigger-ca.NS.svc.
See docs/reference/injector.md.

Flags:
  --listen ADDR:PORT        the webhook (default 0.0.0.0:9443)
  --signer-listen ADDR:PORT the CA signer (default 0.0.0.0:15012)
${INJECT_FLAG_HELP}
  The CA signer's flags: --ca-dir (required), --tls-cert/--tls-key, --trust-domain, --namespace,
  --service-account, --dns, --ip, --kube-api, --kube-token-file, --kube-ca-file, --audience,
  --validity-hours, --validity-seconds.
  -h, --help                show this help`;

export const INJECT_USAGE = `Usage: outrigger-injector inject -f FILE|- --ca-bundle FILE [flags]

Injects the sidecar into every Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job and CronJob
of a multi-document YAML file (- reads standard input) and prints the result on standard output;
other kinds pass through unchanged. What happened to each workload goes to standard error.
  outrigger-injector inject -f app.yaml --ca-bundle ca.crt | kubectl apply -f -

Flags:
  -f, --filename FILE       the YAML to inject; - for standard input
  --ca-bundle FILE          the mesh CA certificate (ca.crt of the outrigger-ca Secret)
${INJECT_FLAG_HELP}
  -h, --help                show this help`;

export const MANIFESTS_USAGE = `Usage: outrigger-injector manifests [flags]

Prints the whole install as YAML: namespace, ServiceAccount, RBAC (create tokenreviews), the CA
Secret, the mesh ConfigMap, the injector Deployment and Services, the MutatingWebhookConfiguration.
  outrigger-injector manifests --ca-dir ca | kubectl apply -f -

Flags:
  --ca-dir DIR              the mesh CA (from 'ca init'); without it a new CA is made each run
  --namespace NS            where the injector runs (default outrigger-system)
  --trust-domain TD         SPIFFE trust domain (default: the CA's, else cluster.local)
  --mesh-network CIDR       destinations that get mesh mTLS, usually the pod CIDR (repeatable)
  --replicas N              injector replicas (default 2, with a PodDisruptionBudget)
${INJECT_FLAG_HELP}
  -h, --help                show this help`;

export const WAIT_READY_USAGE = `Usage: outrigger-injector wait-ready [--url URL] [--timeout-seconds N]

Polls URL every 200 ms until it answers 200 (exit 0), or fails after N seconds (exit 1).

Flags:
  --url URL                 what to poll (default http://127.0.0.1:15020/ready, the proxy's)
  --timeout-seconds N       how long to wait (default 120)
  -h, --help                show this help`;

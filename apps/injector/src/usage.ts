// Usage text for every command, kept together so the help reads the same everywhere.

export const MAIN_USAGE = `Usage: outrigger-injector <command> [flags]

Commands:
  ca init     create the mesh CA (ca.crt, ca.key)
  ca issue    issue a workload certificate (tls.crt, tls.key, ca.crt)

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

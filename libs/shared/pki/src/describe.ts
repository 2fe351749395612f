// A readable summary of any PEM certificate (RSA or not: files from cert-manager or SPIRE are
// often ECDSA), for the admin /certs page, the CLI and rotation decisions.
import { X509Certificate } from 'node:crypto';
import { PkiError } from './errors.ts';
import { parseSubjectAltNames, peerIdentityFromSubjectAltName } from './subject-alt-name.ts';

export interface CertificateInfo {
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  uris: string[];
  dnsNames: string[];
  ipAddresses: string[];
  isCa: boolean;
  spiffeId: string | undefined;
}

export function describeCertificate(pem: string): CertificateInfo {
  const cert = parseX509(pem, 'certificate');
  const altNames = parseSubjectAltNames(cert.subjectAltName ?? '');
  const values = (type: string) => altNames.filter((n) => n.type === type).map((n) => n.value);
  return {
    subject: formatName(cert.subject),
    issuer: formatName(cert.issuer),
    serialNumber: cert.serialNumber,
    notBefore: cert.validFromDate,
    notAfter: cert.validToDate,
    uris: values('URI'),
    dnsNames: values('DNS'),
    ipAddresses: values('IP Address'),
    isCa: cert.ca,
    spiffeId: peerIdentityFromSubjectAltName(cert.subjectAltName),
  };
}

export function parseX509(pem: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new PkiError('invalid-certificate', `the ${what} is not a PEM X.509 certificate`, { cause: err });
  }
}

// node separates the attributes of a name with newlines; one line reads better in logs and tables.
// An empty name comes back undefined, whatever node's types say.
export function formatName(name: string | undefined): string {
  return (name ?? '').split('\n').filter((part) => part !== '').join(', ');
}

// Key pairs: node crypto makes them (native and fast); forge needs them in its own form to sign.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { PkiError } from './errors.ts';

export interface KeyPairPem {
  privateKeyPem: string;
  publicKeyPem: string;
}

/** A key pair read and checked, in the forms the certificate builders need. */
export interface LoadedKeyPair {
  privateKeyPem: string; // always PKCS#8, whatever form came in
  privateKey: forge.pki.rsa.PrivateKey;
  publicKey: forge.pki.rsa.PublicKey;
}

// DESIGN section 4: RSA 2048, because forge cannot build ECDSA certificates.
export function generateKeyPair(): KeyPairPem {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

export function loadKeyPair(pair: KeyPairPem, what: string): LoadedKeyPair {
  const privateKey = readRsaPrivateKey(pair.privateKeyPem, what);
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey(pair.publicKeyPem);
  } catch (err) {
    throw new PkiError('invalid-key', `the ${what} public key is not a PEM public key`, { cause: err });
  }
  if (!createPublicKey(privateKey).equals(publicKey)) {
    throw new PkiError('invalid-key', `the ${what} public key does not belong to its private key`);
  }
  return toForge(privateKey);
}

/** Reads a private key (PKCS#8 or PKCS#1 PEM) that must be RSA, since forge signs only with RSA. */
export function readRsaPrivateKey(pem: string, what: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new PkiError('invalid-key', `the ${what} private key is not an unencrypted PEM private key`, { cause: err });
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new PkiError('invalid-key', `the ${what} private key is ${key.asymmetricKeyType ?? 'unknown'}, but only RSA keys can sign here`);
  }
  return key;
}

export function toForge(privateKey: KeyObject): LoadedKeyPair {
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(privateKeyPem);
  return { privateKeyPem, privateKey: forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e) };
}

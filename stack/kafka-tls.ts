/**
 * A private CA and the certificates a secured Kafka broker needs, made with openssl: the broker's
 * (server and client: it also talks to its own controller over mutual TLS) and one client
 * certificate per mutual-TLS principal. EC P-256 keys, files mode 600, all under one folder; the
 * certificate's common name is the principal (the broker maps `CN=<name>` to `User:<name>`).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EtlError } from '../lib/errors.js';
import { run, which } from './process.js';

/** The broker's own principal (its certificate's CN): a super user, as a broker must be. */
export const BROKER_PRINCIPAL = 'retail-kafka-broker';

export interface KafkaTlsFiles {
  dir: string;
  /** The CA certificate (PEM): the brokers' truststore and every client's KAFKA_SSL_CA_FILE. */
  ca: string;
  /** Broker key + certificate in one PEM file (Kafka's PEM keystore). */
  brokerKeystore: string;
  /** Client certificate and key per mutual-TLS principal. */
  clients: Record<string, { cert: string; key: string }>;
}

function requireOpenssl(): string {
  const path = which('openssl');
  if (!path) {
    throw new EtlError('DEPENDENCY_MISSING', 'openssl is needed to make the Kafka TLS certificates', {
      hint: 'install it (Debian/Ubuntu: apt-get install -y openssl)',
    });
  }
  return path;
}

const DAYS = '825';
const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function issue(openssl: string, dir: string, name: string, server: boolean): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  run(openssl, ['req', '-new', ...KEY, '-keyout', key, '-out', csr, '-subj', `/CN=${name}`]);
  chmodSync(key, 0o600);
  writeFileSync(
    ext,
    [
      'basicConstraints=CA:FALSE',
      `extendedKeyUsage=${server ? 'serverAuth,clientAuth' : 'clientAuth'}`,
      ...(server ? ['subjectAltName=IP:127.0.0.1,DNS:localhost'] : []),
      '',
    ].join('\n'),
  );
  run(openssl, [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    join(dir, 'ca.crt'),
    '-CAkey',
    join(dir, 'ca.key'),
    '-CAcreateserial',
    '-days',
    DAYS,
    '-extfile',
    ext,
    '-out',
    cert,
  ]);
  rmSync(csr);
  rmSync(ext);
  return { cert, key };
}

/**
 * Make (or reuse, when `dir` already holds them) the CA, the broker's keystore and the client
 * certificates of `clients`.
 */
export function ensureKafkaTls(dir: string, clients: readonly string[] = []): KafkaTlsFiles {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = join(dir, 'ca.crt');
  const brokerKeystore = join(dir, 'broker-keystore.pem');
  const openssl = (): string => requireOpenssl();
  if (!existsSync(ca)) {
    const caKey = join(dir, 'ca.key');
    run(openssl(), [
      'req',
      '-x509',
      ...KEY,
      '-keyout',
      caKey,
      '-out',
      ca,
      '-days',
      DAYS,
      '-subj',
      '/CN=retail-etl-kafka-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    chmodSync(caKey, 0o600);
  }
  if (!existsSync(brokerKeystore)) {
    const broker = issue(openssl(), dir, BROKER_PRINCIPAL, true);
    writeFileSync(brokerKeystore, readFileSync(broker.key, 'utf8') + readFileSync(broker.cert, 'utf8'), {
      mode: 0o600,
    });
  }
  const out: KafkaTlsFiles = { dir, ca, brokerKeystore, clients: {} };
  for (const name of clients) {
    const cert = join(dir, `${name}.crt`);
    const key = join(dir, `${name}.key`);
    out.clients[name] =
      existsSync(cert) && existsSync(key) ? { cert, key } : issue(openssl(), dir, name, false);
  }
  return out;
}

/**
 * A private CA and the certificates a secured Kafka broker needs, made with openssl (stack/tls.ts): the broker's
 * (server and client: it also talks to its own controller over mutual TLS) and one client
 * certificate per mutual-TLS principal. EC P-256 keys, files mode 600, all under one folder; the
 * certificate's common name is the principal (the broker maps `CN=<name>` to `User:<name>`).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureCa, issueCertificate } from './tls.js';

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

/**
 * Make (or reuse, when `dir` already holds them) the CA, the broker's keystore and the client
 * certificates of `clients`.
 */
export function ensureKafkaTls(dir: string, clients: readonly string[] = []): KafkaTlsFiles {
  const ca = ensureCa(dir, 'retail-etl-kafka-ca');
  const brokerKeystore = join(dir, 'broker-keystore.pem');
  if (!existsSync(brokerKeystore)) {
    const broker = issueCertificate(dir, BROKER_PRINCIPAL, { server: true });
    writeFileSync(brokerKeystore, readFileSync(broker.key, 'utf8') + readFileSync(broker.cert, 'utf8'), {
      mode: 0o600,
    });
  }
  const out: KafkaTlsFiles = { dir, ca, brokerKeystore, clients: {} };
  for (const name of clients) {
    const cert = join(dir, `${name}.crt`);
    const key = join(dir, `${name}.key`);
    out.clients[name] =
      existsSync(cert) && existsSync(key) ? { cert, key } : issueCertificate(dir, name, { server: false });
  }
  return out;
}

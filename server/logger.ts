/**
 * The service's structured logger. Secrets are redacted here, at the logger, not by each caller:
 * authorization headers, anything named like a password, token, secret, kubeconfig or connection
 * URL, at the top level and one or two levels down.
 */
import pino from "pino";

const SECRET_FIELDS = [
  "password",
  "passphrase",
  "secret",
  "token",
  "authorization",
  "kubeconfig",
  "connectionUrl",
  "databaseUrl",
  "DATABASE_URL",
  "DATABASE_URL_PRIMARY",
  "REDIS_URL",
  "PULUMI_CONFIG_PASSPHRASE",
  "ARAGORA_API_TOKENS",
];

export const REDACT_PATHS = [
  "req.headers.authorization",
  "headers.authorization",
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((f) => `*.${f}`),
  ...SECRET_FIELDS.map((f) => `*.*.${f}`),
];

export type Logger = pino.Logger;

export function createLogger(options: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  const opts: pino.LoggerOptions = {
    level: options.level ?? "info",
    base: { service: "aragora-regions" },
    redact: { paths: REDACT_PATHS, censor: "[secret]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return options.destination ? pino(opts, options.destination) : pino(opts);
}

import { type Logger, pino } from 'pino';

export type { Logger };

/**
 * Creates the appliance logger: JSON lines with Elastic Common Schema field names
 * (`@timestamp`, `log.level`, `message`) so Filebeat or Vector can ship them unchanged.
 * `destination` defaults to stdout; tests pass a stream.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      messageKey: 'message',
      base: { 'service.name': 'ipwarden' },
      timestamp: () => `,"@timestamp":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ 'log.level': label }) },
      redact: { paths: ['token', '*.token', 'authorization', '*.authorization'], censor: '[redacted]' },
    },
    destination as pino.DestinationStream | undefined,
  );
}

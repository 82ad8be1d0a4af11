import { type DestinationStream, type Logger, pino } from 'pino';
import pretty from 'pino-pretty';
import { loggableUrl, maskPans, redactFields } from './redact.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: string;
  /** `pretty` for people at a terminal, `json` for machines; `auto` picks by TTY. */
  format?: 'json' | 'pretty' | 'auto';
  /** Where lines go (tests pass a capture stream); stdout by default. */
  destination?: DestinationStream;
  name?: string;
}

/**
 * The one logger factory. Every line passes both redaction nets (see
 * redact.ts) before it is written, whatever the format or destination.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.format ?? 'auto';
  const usePretty = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
  const destination =
    options.destination ??
    (usePretty
      ? pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', sync: true })
      : pino.destination(1));
  return pino(
    {
      level: options.level ?? 'info',
      ...(options.name ? { name: options.name } : {}),
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { log: (object) => redactFields(object) as Record<string, unknown> },
      hooks: { streamWrite: maskPans },
      serializers: {
        err: pino.stdSerializers.err,
        // Fastify's request lines: the path and the query's names, never its values (see loggableUrl).
        req: (req: { method?: string; url?: string; id?: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url === undefined ? undefined : loggableUrl(req.url),
        }),
      },
    },
    destination,
  );
}

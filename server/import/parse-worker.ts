/**
 * The import's parser thread (see ParserThread): turns chunks of log bytes into parsed records, one
 * reply per message, in order. `workerData.format` is the ImportFormat or `auto`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { IMPORT_FORMATS, type ImportFormat } from './formats.js';
import { ImportError } from './import-errors.js';
import { LineSplitter } from './line-splitter.js';
import { ParseStage } from './parse-stage.js';
import type { ParserReply, ParserRequest } from './parser-thread.js';

const port = parentPort;
if (port === null) throw new Error('parse-worker.ts runs as a worker thread (ParserThread), not on its own');
const format = workerData?.format as unknown;
if (format !== 'auto' && !IMPORT_FORMATS.includes(format as ImportFormat)) {
  throw new Error(
    `parse-worker.ts: workerData.format must be auto or one of ${IMPORT_FORMATS.join(', ')}, not ${JSON.stringify(format)}`,
  );
}
const stage = new ParseStage(format as ImportFormat | 'auto');
const splitter = new LineSplitter();

port.on('message', (request: ParserRequest) => {
  let reply: ParserReply;
  try {
    if (request.end) {
      stage.add(splitter.end());
      reply = { batch: stage.take(true) };
    } else {
      stage.add(splitter.push(request.chunk));
      reply = { batch: stage.take() };
    }
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    reply = { error: { message: error.message, importError: error instanceof ImportError } };
  }
  port.postMessage(reply);
});

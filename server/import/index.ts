/** Importing existing access logs (Apache/nginx combined and common, nginx JSON, ECS NDJSON) into the request log. */
export { DETECT_LINES, detectFormat } from './detect-format.js';
export { beyondRetention, formatSummary } from './format-summary.js';
export { IMPORT_FORMATS, type ImportFormat, PARSERS } from './formats.js';
export { ImportError } from './import-errors.js';
export { type ImportFileOptions, importFile } from './import-file.js';
export { ImportIndex, openImportIndex } from './import-index.js';
export { ImportBusyError, type ImportJob, ImportJobs, type ImportJobsOptions } from './import-jobs.js';
export { LineIds } from './line-ids.js';
export { type LineSource, lineSource, openLineSource } from './line-source.js';
export { REPORTED_REJECTIONS } from './parse-stage.js';
export { parseApacheTime } from './parsers/apache-time.js';
export type { LineParser, ParseResult } from './parsers/parse-result.js';
export { progressLine } from './progress-line.js';
export {
  DEFAULT_BATCH,
  type ImportProgress,
  type ImportSummary,
  type RunImportOptions,
  runImport,
} from './run-import.js';

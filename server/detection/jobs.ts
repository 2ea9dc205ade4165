import schedule from 'node-schedule';
import type { Logger } from '../log.js';
import type { StateStore } from '../store/index.js';

/** The scheduled jobs (DESIGN.md "Detection"). */
export const JOB_NAMES = ['monitor', 'cleanup', 'auto-block', 'retention', 'report'] as const;
export type JobName = (typeof JOB_NAMES)[number];

export interface JobContext {
  /** The time the run is for (ms since epoch); jobs derive their windows from it. */
  now: number;
  /** Compute and report, change nothing. */
  dryRun: boolean;
  /** For the monitor: evaluate every clock hour in this range instead of the last window. */
  range?: { since: Date; until: Date };
}

/** One row of the job table: a name, a cron schedule in UTC, and what to run. */
export interface Job {
  name: JobName;
  /** Cron expression, UTC. */
  schedule: string;
  description: string;
  /**
   * `cluster` (default): acts on shared state, so each scheduled run happens on one instance of a
   * cluster. `instance`: acts on this instance's own data (the request log) and runs everywhere.
   */
  scope?: 'cluster' | 'instance';
  run(ctx: JobContext): Promise<Record<string, unknown>>;
}

/** A recorded run. */
export interface JobRun {
  [key: string]: unknown;
  name: JobName;
  startedAt: string;
  endedAt: string;
  outcome: 'ok' | 'failed';
  dryRun: boolean;
  summary?: Record<string, unknown>;
  error?: string;
}

/** Runs kept in the state file (oldest dropped first): enough for weeks of hourly history. */
const KEPT_RUNS = 1_000;

/** Items of a list in a run's summary kept in the state file (a monitor over a year finds 100,000s). */
export const KEPT_SUMMARY_ITEMS = 100;

/**
 * The run as the state file keeps it: each list in its summary cut to its first
 * {@link KEPT_SUMMARY_ITEMS}, with the full lengths in `summary.truncated` (`{ findings: 48213 }`),
 * so one long `ipwarden monitor --since` cannot swell every later write of the state. The caller
 * (CLI, admin API) still gets the whole run.
 */
export function storedRun(run: JobRun): JobRun {
  if (run.summary === undefined) return run;
  const truncated: Record<string, number> = {};
  const summary: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(run.summary)) {
    if (Array.isArray(value) && value.length > KEPT_SUMMARY_ITEMS) {
      summary[key] = value.slice(0, KEPT_SUMMARY_ITEMS);
      truncated[key] = value.length;
    } else summary[key] = value;
  }
  if (Object.keys(truncated).length === 0) return run;
  return { ...run, summary: { ...summary, truncated } };
}

/**
 * Takes the cluster-wide lock for one scheduled run (`name`, scheduled time in ms since epoch);
 * true when this instance is the one to run it. Rejects when the lock store is unreachable.
 */
export type JobLock = (name: JobName, slotMs: number) => Promise<boolean>;

/**
 * Runs the job table: on demand (`run`) and on schedule (`start`, node-schedule, UTC). Every real
 * run is recorded in the state (start, end, outcome, summary counts, error); dry runs are not, so
 * they change nothing. A failing job is logged at ERROR and never stops the others or the proxy.
 * Scheduled runs of cluster-scoped jobs take `lock` first, so in a cluster one instance runs each;
 * operator-triggered runs never wait for a lock.
 */
export class JobRunner {
  readonly #jobs: readonly Job[];
  readonly #state: StateStore;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #scheduled: schedule.Job[] = [];
  readonly #running = new Map<JobName, Promise<JobRun>>();
  readonly #lock: JobLock;

  constructor(
    jobs: readonly Job[],
    state: StateStore,
    logger: Logger,
    now: () => number = Date.now,
    lock: JobLock = () => Promise.resolve(true),
  ) {
    this.#jobs = jobs;
    this.#state = state;
    this.#logger = logger;
    this.#now = now;
    this.#lock = lock;
  }

  /** The table with each job's next scheduled time (when started) and last recorded run. */
  describe(): {
    name: JobName;
    schedule: string;
    description: string;
    nextRun: string | null;
    lastRun: JobRun | null;
  }[] {
    return this.#jobs.map((job, i) => ({
      name: job.name,
      schedule: `${job.schedule} (UTC)`,
      description: job.description,
      nextRun: this.#scheduled[i]?.nextInvocation()?.toISOString() ?? null,
      lastRun: (this.#state.data.jobRuns as JobRun[]).findLast((r) => r.name === job.name) ?? null,
    }));
  }

  /** Recorded runs, newest first. */
  runs(limit = 100): JobRun[] {
    return (this.#state.data.jobRuns as JobRun[]).slice(-limit).reverse();
  }

  /**
   * Runs one job now. Never rejects for a job failure: the run comes back with outcome 'failed'.
   * @throws Error when `name` is not a job.
   */
  run(
    name: JobName,
    options: { dryRun?: boolean; now?: number; range?: { since: Date; until: Date } } = {},
  ): Promise<JobRun> {
    const job = this.#jobs.find((j) => j.name === name);
    if (!job) throw new Error(`unknown job ${JSON.stringify(name)}; jobs: ${JOB_NAMES.join(', ')}`);
    // Two triggers of the same job at once (schedule + operator) share one run.
    const inFlight = this.#running.get(name);
    if (inFlight && !options.dryRun) return inFlight;
    const run = this.#execute(job, {
      now: options.now ?? this.#now(),
      dryRun: options.dryRun ?? false,
      range: options.range,
    });
    if (!options.dryRun) {
      this.#running.set(name, run);
      run.finally(() => this.#running.delete(name)).catch(() => undefined);
    }
    return run;
  }

  /** Runs every job once, in table order; a failure does not stop the rest. */
  async runAll(options: { dryRun?: boolean; now?: number } = {}): Promise<JobRun[]> {
    const runs: JobRun[] = [];
    for (const job of this.#jobs) runs.push(await this.run(job.name, options));
    return runs;
  }

  /**
   * Runs the occurrence of `name` scheduled for `slot` (what the schedule calls). A cluster-scoped
   * job first takes the cluster lock for that occurrence; if another instance holds it, nothing
   * runs and null is returned. If the lock cannot be asked (Redis unreachable), the job runs here:
   * better twice than never.
   */
  async runScheduled(name: JobName, slot: Date): Promise<JobRun | null> {
    const job = this.#jobs.find((j) => j.name === name);
    if (job?.scope !== 'instance') {
      const slotMs = Math.floor(slot.getTime() / 60_000) * 60_000; // instances' fire times agree to the minute
      const won = await this.#lock(name, slotMs).catch((err: Error) => {
        this.#logger.warn(
          { 'event.action': `job-${name}`, 'error.message': err.message },
          `job ${name}: cluster lock unavailable, running here`,
        );
        return true;
      });
      if (!won) {
        this.#logger.debug({ 'event.action': `job-${name}` }, `job ${name} runs on another instance`);
        return null;
      }
    }
    return this.run(name);
  }

  /** Schedules every job (UTC). */
  start(): void {
    for (const job of this.#jobs) {
      const scheduled = schedule.scheduleJob({ rule: job.schedule, tz: 'Etc/UTC' }, (fireDate) => {
        void this.runScheduled(job.name, fireDate);
      });
      this.#scheduled.push(scheduled);
    }
  }

  /** Cancels the schedule and waits for runs in progress. */
  async stop(): Promise<void> {
    for (const job of this.#scheduled) job.cancel();
    this.#scheduled.length = 0;
    await Promise.allSettled(this.#running.values());
  }

  async #execute(job: Job, ctx: JobContext): Promise<JobRun> {
    const startedAt = new Date().toISOString();
    this.#logger.info({ 'event.action': `job-${job.name}`, dryRun: ctx.dryRun }, `job ${job.name} started`);
    let run: JobRun;
    try {
      const summary = await job.run(ctx);
      run = {
        name: job.name,
        startedAt,
        endedAt: new Date().toISOString(),
        outcome: 'ok',
        dryRun: ctx.dryRun,
        summary,
      };
      this.#logger.info({ 'event.action': `job-${job.name}`, summary }, `job ${job.name} finished`);
    } catch (err) {
      const error = err as Error;
      run = {
        name: job.name,
        startedAt,
        endedAt: new Date().toISOString(),
        outcome: 'failed',
        dryRun: ctx.dryRun,
        error: error.message,
      };
      this.#logger.error(
        {
          'event.action': `job-${job.name}`,
          'error.message': error.message,
          'error.stack_trace': error.stack,
        },
        `job ${job.name} failed`,
      );
    }
    if (!ctx.dryRun) {
      await this.#state
        .update((state) => {
          state.jobRuns.push(storedRun(run));
          if (state.jobRuns.length > KEPT_RUNS) state.jobRuns.splice(0, state.jobRuns.length - KEPT_RUNS);
        })
        .catch((err: Error) =>
          this.#logger.error({ 'error.message': err.message }, `could not record the ${job.name} run`),
        );
    }
    return run;
  }
}

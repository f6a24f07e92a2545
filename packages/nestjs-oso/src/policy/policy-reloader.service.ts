import { relative } from 'node:path';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import type { Oso } from '../engine/oso-library.js';
import { OSO_MODULE_OPTIONS } from '../module/oso.module-definition.js';
import type { OsoModuleOptions, PolarClassRegistration } from '../module/oso-module-options.interface.js';
import { OSO_LOADED_POLICY, OSO_POLAR_CLASSES, type LoadedPolicy } from './loaded-policy.js';
import { OsoService } from '../authorization/oso.service.js';
import { policyFingerprint } from './policy-fingerprint.js';
import { BUILT_IN_POLAR_NAMES, createOsoEngine } from './policy-loader.js';
import { OsoConfigurationError } from '../errors/oso-configuration.error.js';
import { policyLoadDetail } from '../errors/policy-load.error.js';
import { POLICY_RELOAD_SETTLE_MS, readStablePolicySnapshot } from './policy-snapshot.js';
import { PolicyWatcher } from './policy-watcher.js';
import { RetiredEngines } from './retired-engines.js';

/** Looks in a row that may find the files still being written, before the next refresh tries again. */
const MAX_LOAD_ATTEMPTS = 5;

/**
 * The policy's life after startup. It logs what was loaded; with `reload: 'watch'` it watches the policy folders,
 * with `reload: 'poll'` the global guard asks it to look at the files before each request. When the files changed,
 * it builds a NEW engine with the same classes (oso loads a policy once per engine) and puts it in place through
 * `OsoService.replaceEngine` only if it loads: a broken edit is logged, with its file and line, and the last good
 * policy keeps answering. Checks already running finish on the engine they started on, and the engine replaced is
 * freed once none runs on it (see `RetiredEngines`), so that reloads do not grow the process. Closing the app closes
 * the watcher.
 *
 * A reload only takes files that are stable: it reads them all, waits `reloadSettleMs`, reads them again, and loads
 * the text it read only if both reads found the same files with the same text. A file rewritten in place (truncated,
 * then written in parts) is otherwise caught half-written, and half a policy may well load and allow more.
 *
 * @example
 * // Reload on demand, for example from an admin endpoint or a SIGHUP handler:
 * await app.get(OsoPolicyReloader).refresh();
 * @publicApi
 */
@Injectable()
export class OsoPolicyReloader implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('OsoModule');
  private fingerprint: string;
  private watcher: PolicyWatcher | undefined;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  /** The text of the policy last taken (loaded or reported broken); unknown for the startup load. */
  private content: string | undefined;
  /** Ends the wait of a running look when the app closes. */
  private readonly closing = new AbortController();
  private closed = false;
  private readonly settleMs: number;
  private readonly retired: RetiredEngines;
  /** The engine this reloader last put in place, freed once replaced. */
  private built: Oso | undefined;

  constructor(
    @Inject(OSO_MODULE_OPTIONS) private readonly options: OsoModuleOptions,
    @Inject(OSO_POLAR_CLASSES) private readonly classes: PolarClassRegistration[],
    @Inject(OSO_LOADED_POLICY) private readonly loaded: LoadedPolicy,
    private readonly oso: OsoService,
  ) {
    this.fingerprint = loaded.fingerprint;
    this.settleMs = options.reloadSettleMs ?? POLICY_RELOAD_SETTLE_MS;
    this.retired = new RetiredEngines(() => this.oso.engine);
    if (!Number.isFinite(this.settleMs) || this.settleMs < 0) {
      throw new OsoConfigurationError(
        `"reloadSettleMs" must be a number of milliseconds (0 or more), got ${String(options.reloadSettleMs)}`,
      );
    }
  }

  /** Startup diagnostics: the files loaded and the classes registered. */
  onModuleInit(): void {
    const files = this.loaded.files.map((file) => relative(process.cwd(), file) || file);
    this.logger.log(`Loaded ${files.length} policy file${files.length === 1 ? '' : 's'}: ${files.join(', ')}`);
    const names = this.classes.map(({ class: cls, name }) => (name === cls.name ? name : `${name} (${cls.name})`));
    this.logger.log(`Registered Polar classes: ${[...BUILT_IN_POLAR_NAMES, ...names].join(', ')}`);
  }

  /** Starts watching once the app is up, and catches what changed between the startup load and now. */
  onApplicationBootstrap(): void {
    const settled = `a change is taken once the files stay the same for ${this.settleMs} ms`;
    if (this.options.reload === 'poll')
      this.logger.log(`Reloading the policy when its files change (checked on each request; ${settled})`);
    if (this.options.reload !== 'watch' || this.closed) return;
    this.watcher = new PolicyWatcher(
      this.options,
      () => void this.refresh(),
      (path, error) => this.logger.warn(`Stopped watching ${path} for policy changes: ${error.message}`),
    );
    this.logger.log(`Reloading the policy when its files change (watching the policy folders; ${settled})`);
    void this.refresh();
  }

  onModuleDestroy(): void {
    this.closed = true;
    this.closing.abort();
    this.watcher?.close();
    this.watcher = undefined;
    this.retired.close();
  }

  /**
   * Looks at the policy files and reloads the policy if they changed since the last look. Calls made while a look
   * is running wait for one more look after it, so a caller never gets an answer older than its call. Never
   * throws: a policy that does not load is logged once per change.
   *
   * @example
   * await reloader.refresh(); // the next check sees the files as they are now
   */
  refresh(): Promise<void> {
    if (!this.running) {
      this.running = this.reloadIfChanged().finally(() => (this.running = undefined));
      return this.running;
    }
    return (this.queued ??= this.running.then(() => {
      this.queued = undefined;
      return this.refresh();
    }));
  }

  private async reloadIfChanged(): Promise<void> {
    for (let attempt = 0; attempt < MAX_LOAD_ATTEMPTS && !this.closed; attempt++) {
      if ((await policyFingerprint(this.options)).key === this.fingerprint) return;
      const snapshot = await readStablePolicySnapshot(this.options, this.settleMs, this.closing.signal).catch(
        () => undefined,
      );
      // Still being written (or the app is closing): look again, and load nothing read so far.
      if (!snapshot || this.closed) continue;
      // Remembered even for a failure: a broken change is reported once, not on every look until it is fixed.
      this.fingerprint = snapshot.fingerprint;
      // Rewritten with the same text (a deploy that copies every file, a `touch`): nothing to reload.
      if (snapshot.content === this.content) return;
      this.content = snapshot.content;
      const loaded = snapshot.error
        ? { error: snapshot.error }
        : await createOsoEngine({ ...this.options, classes: this.classes }, snapshot.sources).then(
            (engine) => ({ engine }),
            (error: Error) => ({ error }),
          );
      if (this.closed) {
        // Built while the app closed: never used, so nothing can run on it.
        if ('engine' in loaded) loaded.engine.free();
        return;
      }
      if ('error' in loaded) {
        const detail = policyLoadDetail(loaded.error);
        this.logger.error(`The policy change does not load, so the last good policy stays in place: ${detail}`);
        return;
      }
      this.retired.track(loaded.engine);
      this.oso.replaceEngine(loaded.engine);
      // Only an engine built here: the startup one is also the `OSO_ENGINE` an app may have injected and kept.
      if (this.built) this.retired.retire(this.built);
      this.built = loaded.engine;
      const files = snapshot.sources.length;
      this.logger.log(`Reloaded the policy from ${files} file${files === 1 ? '' : 's'}`);
      return;
    }
  }
}

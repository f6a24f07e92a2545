/**
 * What the engine observes of an actor while it partially evaluates a data filter, recorded so that the filter can be
 * remembered for every later actor on which the same observations give the same answers (`remembered-filters.ts`).
 *
 * The actor is handed to the engine behind a `Proxy` that writes down, in order, every property read, `in` test,
 * prototype look-up and method call, with what it answered; objects reached that way are handed out behind proxies
 * too. The engine observes the actor only through such operations (its host reads attributes, calls methods, tests
 * classes with `instanceof`), except for comparing two objects (`=` on instances, lodash's deep `isEqual` after an
 * identity shortcut) and fetching data filtering relations from the database: the query hooks of
 * `remembered-filters.ts` report the first (the recording is then refused) and the second (recorded as a step that is
 * fetched again on replay). Anything the recording cannot replay faithfully refuses it: the filter is then used once
 * and not remembered, exactly as before.
 *
 * Getters and methods run on the real object (never on the proxy), so classes with private fields behave as without
 * recording; what they read inside is not recorded, but their answer is, and replay runs them again.
 */

type Primitive = string | number | boolean | bigint | null | undefined;

/** One observation of the engine, from the actor (`base` 0) or an object reached earlier (`base` is its index). */
export type ActorStep =
  | { op: 'actor' }
  | { op: 'get'; base: number; key: PropertyKey }
  | { op: 'has'; base: number; key: PropertyKey }
  | { op: 'proto'; base: number }
  | { op: 'call'; base: number; key: PropertyKey; fn: unknown; args: Primitive[] }
  | { op: 'relation'; base: number; relation: object };

/** A step with what it observed, as a key (see `observedKey`). */
export interface RecordedStep {
  step: ActorStep;
  observed: string;
}

/** Why a recording cannot stand for later actors: the filter is used once. */
export type RefusalReason = string;

/** More steps than this (an actor with a huge list, say) are not worth remembering. */
const MAX_STEPS = 5_000;

/** The methods of built-in prototypes: handed to the engine as they are, they run on the proxy and read through it. */
const BUILT_IN_METHODS: ReadonlySet<unknown> = new Set(
  [Object.prototype, Array.prototype, Function.prototype].flatMap((prototype) =>
    Reflect.ownKeys(prototype).map((key) => Object.getOwnPropertyDescriptor(prototype, key)?.value),
  ),
);

const identities = new WeakMap<object, number>();
let nextIdentity = 0;

/** A number per object or function, stable for the process, for keys that compare identity. */
function identityOf(value: object): number {
  let id = identities.get(value);
  if (id === undefined) identities.set(value, (id = ++nextIdentity));
  return id;
}

/**
 * Objects that work behind a proxy: plain objects, class instances and arrays. Others keep state in internal slots
 * (`Map`, `Date`, `Promise`...) that a proxy hides from their own methods.
 */
function isProxiable(value: object): boolean {
  return Array.isArray(value) || Object.prototype.toString.call(value) === '[object Object]';
}

/**
 * The key of what a step observed, the same at recording and at replay: a primitive by type and value, a function by
 * identity, an object by whether it was met before (and at which index) or else by prototype and array-ness (then it
 * gets the next index). `undefined` for what cannot be compared (a symbol, an object that cannot be recorded).
 */
export function observedKey(value: unknown, indexes: Map<object, number>, objects: object[]): string | undefined {
  switch (typeof value) {
    case 'symbol':
      return undefined;
    case 'function':
      return `f:${identityOf(value)}`;
    case 'object': {
      if (value === null) return 'null';
      const known = indexes.get(value);
      if (known !== undefined) return `s:${known}`;
      if (!isProxiable(value)) return undefined;
      indexes.set(value, objects.length);
      objects.push(value);
      const prototype = Object.getPrototypeOf(value) as object | null;
      return `n:${prototype === null ? 0 : identityOf(prototype)}:${Array.isArray(value) ? 1 : 0}`;
    }
    default:
      // -0 is 0 to the engine (an integer); NaN is NaN.
      return `${typeof value}:${String(value)}`;
  }
}

/** The key of a prototype look-up. */
export function prototypeKey(prototype: object | null): string {
  return `p:${prototype === null ? 0 : identityOf(prototype)}`;
}

/** A property a proxy must report as it is (non-configurable and read-only). */
function isFrozenProperty(target: object, key: PropertyKey): boolean {
  const descriptor = Reflect.getOwnPropertyDescriptor(target, key);
  return descriptor !== undefined && !descriptor.configurable && descriptor.writable === false;
}

function isPrimitive(value: unknown): value is Primitive {
  return value === null || (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol');
}

/**
 * The recording of one partial evaluation. `root` is what to hand to the engine instead of the actor; `finish()`
 * stops recording (the proxies then only forward); `refused` says why the recording cannot be remembered.
 */
export class ActorRecording {
  readonly steps: RecordedStep[] = [];
  refused?: RefusalReason;
  readonly root: unknown;
  private readonly objects: object[] = [];
  private readonly indexes = new Map<object, number>();
  /** Raw object → its proxy; proxy or method wrapper → the raw value. */
  private readonly proxies = new Map<object, object>();
  private readonly raws = new WeakMap<object, object>();
  private finished = false;

  /** `isClass` tells registered classes, which are handed out as they are (the host looks them up by identity). */
  constructor(
    actor: unknown,
    private readonly isClass: (value: unknown) => boolean,
  ) {
    this.root = this.observe({ op: 'actor' }, actor);
  }

  /** Stops recording; the proxies handed out only forward from now on. */
  finish(): void {
    this.finished = true;
  }

  /** Marks the recording as one that cannot be remembered (the first reason is kept). */
  refuse(reason: RefusalReason): void {
    this.refused ??= reason;
  }

  /** Whether `value` is a proxy or a method wrapper of this recording. */
  owns(value: unknown): boolean {
    return typeof value === 'object' || typeof value === 'function' ? this.raws.has(value as object) : false;
  }

  /** The real value behind a proxy or wrapper of this recording, at any depth of an array. */
  unwrap(value: unknown): unknown {
    if (Array.isArray(value) && !this.owns(value)) return value.map((item) => this.unwrap(item));
    return this.owns(value) ? this.raws.get(value as object) : value;
  }

  /**
   * What the engine gets for a data filtering relation it fetched from `receiver` (a proxy of this recording): the
   * fetched value, recorded as a step that replay fetches again.
   */
  fetched(receiver: unknown, relation: object, value: unknown): unknown {
    const base = this.indexOfProxy(receiver);
    if (base === undefined) {
      this.refuse('a data filtering relation fetched from something else than the actor');
      return value;
    }
    return this.observe({ op: 'relation', base, relation }, value);
  }

  private indexOfProxy(value: unknown): number | undefined {
    if (!this.owns(value)) return undefined;
    return this.indexes.get(this.raws.get(value as object)!);
  }

  /** Records a step and what it observed; returns what to hand to the engine for it. */
  private observe(step: ActorStep, value: unknown): unknown {
    if (!this.recording()) return value;
    const observed = observedKey(value, this.indexes, this.objects);
    if (observed === undefined) {
      this.refuse(`the actor gave a value that cannot be compared later (${Object.prototype.toString.call(value)})`);
      return value;
    }
    this.steps.push({ step, observed });
    return this.handOut(value, step);
  }

  /** Whether a step may still be recorded: not once finished, nor beyond `MAX_STEPS` (the recording is refused). */
  private recording(): boolean {
    if (this.finished) return false;
    if (this.steps.length < MAX_STEPS) return true;
    this.refuse(`more than ${MAX_STEPS} observations of the actor`);
    return false;
  }

  /** A value as the engine gets it: objects behind a proxy, application methods behind a recording wrapper. */
  private handOut(value: unknown, step: ActorStep): unknown {
    if (typeof value === 'function') {
      // Classes and built-in methods as they are: the host looks classes up by identity, and built-in methods
      // (`Array.prototype.map` on a list) read through the proxy they are called on.
      if (step.op !== 'get' || step.key === 'constructor' || BUILT_IN_METHODS.has(value) || this.isClass(value)) {
        return value;
      }
      return this.methodWrapper(value as (...args: unknown[]) => unknown, step.base, step.key);
    }
    if (value === null || typeof value !== 'object') return value;
    return this.proxyOf(value);
  }

  private proxyOf(raw: object): object {
    const known = this.proxies.get(raw);
    if (known) return known;
    const index = this.indexes.get(raw)!;
    const refuseAndForward =
      <A extends unknown[], R>(what: string, forward: (...args: A) => R) =>
      (...args: A): R => {
        this.refuse(`the engine ${what} the actor`);
        return forward(...args);
      };
    const proxy = new Proxy(raw, {
      get: (target, key) => {
        const value = this.run(() => Reflect.get(target, key));
        const handedOut = this.observe({ op: 'get', base: index, key }, value);
        if (handedOut === value || !isFrozenProperty(target, key)) return handedOut;
        // A proxy must answer a frozen property with its very value: the engine gets it unrecorded.
        this.refuse('the actor has a frozen property holding an object');
        return value;
      },
      has: (target, key) => {
        const found = Reflect.has(target, key);
        this.observe({ op: 'has', base: index, key }, found);
        return found;
      },
      getPrototypeOf: (target) => {
        const prototype = Reflect.getPrototypeOf(target);
        if (this.recording())
          this.steps.push({ step: { op: 'proto', base: index }, observed: prototypeKey(prototype) });
        return prototype;
      },
      ownKeys: refuseAndForward('listed the keys of', Reflect.ownKeys),
      getOwnPropertyDescriptor: refuseAndForward('read a property descriptor of', Reflect.getOwnPropertyDescriptor),
      set: refuseAndForward('wrote to', (target: object, key: PropertyKey, value: unknown) =>
        Reflect.set(target, key, value),
      ),
      defineProperty: refuseAndForward('defined a property on', Reflect.defineProperty),
      deleteProperty: refuseAndForward('deleted a property of', Reflect.deleteProperty),
      setPrototypeOf: refuseAndForward('changed the prototype of', Reflect.setPrototypeOf),
      preventExtensions: refuseAndForward('froze', Reflect.preventExtensions),
    });
    this.proxies.set(raw, proxy);
    this.raws.set(proxy, raw);
    return proxy;
  }

  /** The method read as `key` of the object at `base`: called on the real object, its arguments and answer recorded. */
  private methodWrapper(
    method: (...args: unknown[]) => unknown,
    base: number,
    key: PropertyKey,
  ): (...args: unknown[]) => unknown {
    const call = (self: unknown, args: unknown[]): unknown => {
      const receiver = this.unwrap(self) as object;
      const rawArgs = args.map((arg) => this.unwrap(arg));
      if (this.objects[base] !== receiver || !args.every(isPrimitive)) {
        this.refuse('a method of the actor called with an object, or on something else');
        return method.apply(receiver, rawArgs);
      }
      const result = this.run(() => method.apply(receiver, rawArgs));
      return this.observe({ op: 'call', base, key, fn: method, args: args as Primitive[] }, result);
    };
    // A function, not an arrow: the engine calls it as a method, and `this` is the object it was read from.
    const wrapper = function (this: unknown, ...args: unknown[]): unknown {
      return call(this, args);
    };
    this.raws.set(wrapper, method);
    return wrapper;
  }

  /** Runs a getter or method of the actor; one that throws makes the recording useless (replay does not throw). */
  private run<T>(body: () => T): T {
    try {
      return body();
    } catch (error) {
      this.refuse('a getter or method of the actor threw');
      throw error;
    }
  }
}

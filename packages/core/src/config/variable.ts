/** The services Tend is made of; each is a target of the one binary. */
export const serviceNames = ['gateway', 'voice', 'conversation', 'health', 'notification', 'external'] as const;
export type ServiceName = (typeof serviceNames)[number];

/** gRPC services behind the gateway, with their default ports. */
export const grpcServiceNames = ['voice', 'conversation', 'health', 'notification', 'external'] as const;
export type GrpcServiceName = (typeof grpcServiceNames)[number];

/**
 * Shared parts a process runs only when one of its services depends on them; a variable of one
 * of them is read exactly by the processes that run it.
 */
export const infrastructureModules = ['database', 'cache', 'event-bus', 'rate-limit'] as const;
export type InfrastructureModule = (typeof infrastructureModules)[number];

/** Who reads a variable: a service, a shared part, or every process (`'every'`). */
export type ConfigTarget = ServiceName | InfrastructureModule;

/**
 * One row of the configuration table: everything there is to know about one variable. The
 * loader, the README table and `tend config --print` are all made from these rows.
 */
export interface ConfigVariable<T> {
  /**
   * Turns the trimmed, non-empty text into the value, or throws an `Error` whose message says
   * what is wrong (the loader prefixes the variable's name and exits 78).
   */
  readonly parse: (text: string) => T;
  /** The value when the variable is unset, or when this process does not read it. */
  readonly default: T;
  /** How the default reads in the README when it is not a plain value (`embedded`, `none`). */
  readonly defaultDoc?: string | undefined;
  /** Never printed: `tend config --print` shows `***` and error messages hide the value. */
  readonly secret: boolean;
  /** One line for the README: what it is for, in the operator's words. */
  readonly doc: string;
  /** The modules that read it; `'every'` process does. */
  readonly targets: 'every' | readonly ConfigTarget[];
  /** Another variable whose being set makes this one required (in the processes that read it). */
  readonly requiredWith?: string | undefined;
  /** How a value is shown by `tend config --print`, e.g. a URL without its password. */
  readonly show?: ((value: NonNullable<T>) => string) | undefined;
}

/** What a row says besides its parser and default. */
type RowDocs<T> = Omit<ConfigVariable<T>, 'parse' | 'default' | 'secret'> & { secret?: boolean };

/** A variable with a default value: unset means `default`. */
export function variable<T>(spec: RowDocs<T> & { parse: (text: string) => T; default: NoInfer<T> }): ConfigVariable<T> {
  return { secret: false, ...spec };
}

/** A variable whose absence means something (embedded parts, generated keys, no model). */
export function optional<T>(
  spec: RowDocs<T | undefined> & { parse: (text: string) => T; defaultDoc: string },
): ConfigVariable<T | undefined> {
  return { secret: false, ...spec, default: undefined };
}

/** One row per gRPC service, named `<SERVICE>_<suffix>` (`HEALTH_PORT`, `HEALTH_URLS`, …). */
export function perService<Suffix extends string, T>(
  suffix: Suffix,
  row: (service: GrpcServiceName) => ConfigVariable<T>,
): Record<`${Uppercase<GrpcServiceName>}_${Suffix}`, ConfigVariable<T>> {
  return Object.fromEntries(grpcServiceNames.map((s) => [serviceVariable(s, suffix), row(s)])) as Record<
    `${Uppercase<GrpcServiceName>}_${Suffix}`,
    ConfigVariable<T>
  >;
}

/** The name of a per-service variable, e.g. `HEALTH_URLS`. */
export function serviceVariable<Suffix extends string>(
  service: GrpcServiceName,
  suffix: Suffix,
): `${Uppercase<GrpcServiceName>}_${Suffix}` {
  return `${service.toUpperCase() as Uppercase<GrpcServiceName>}_${suffix}`;
}

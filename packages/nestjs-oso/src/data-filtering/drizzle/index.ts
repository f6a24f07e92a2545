export {
  DrizzleAdapter,
  drizzleAdapter,
  type DrizzleAdapterOptions,
  type DrizzleDatabase,
  type DrizzleQuery,
} from './drizzle.adapter.js';
export {
  drizzlePolarClasses,
  type DrizzleManyToMany,
  type DrizzlePolarClassesOptions,
} from './drizzle-polar-classes.js';

export { TypeOrmAdapter, typeOrmAdapter, type TypeOrmAdapterOptions } from './typeorm.adapter.js';
export { typeOrmPolarClasses, type TypeOrmPolarClassesOptions } from './typeorm-polar-classes.js';
export { updateAuthorized } from './authorized-update.js';

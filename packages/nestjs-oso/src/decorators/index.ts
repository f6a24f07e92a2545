export * from './authorize.decorator.js';
export * from './authorized-resource.decorator.js';
export * from './skip-authorization.decorator.js';
export * from './polar-class.decorator.js';

export { OsoError } from './oso.error.js';
export { PolicyLoadError } from './policy-load.error.js';
export { OsoConfigurationError } from './oso-configuration.error.js';
export { DataFilteringError } from './data-filtering.error.js';

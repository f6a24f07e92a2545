export { createTestOso, type TestOso } from './test-oso.js';
export { TEST_ACTOR_HEADER, TestActorGuard, type TestActorOptions } from './test-actor.guard.js';

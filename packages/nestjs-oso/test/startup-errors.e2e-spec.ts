import { join } from 'node:path';
import { Controller, Get, Injectable } from '@nestjs/common';
import { Authorize, OsoConfigurationError, OsoModule, PolicyLoadError, type OsoModuleOptions } from '../src/index.js';
import { createTestApp, POLICY_DIR } from './app/create-app.js';
import { Expense, POLAR_CLASSES, User } from './fixtures/domain.js';
import { policyFixture } from './fixtures/policies.js';

const here = import.meta.dirname;
const start = (options: OsoModuleOptions, controllers: Array<new () => object> = []) =>
  createTestApp('express', { oso: OsoModule.forRoot(options), controllers, providers: [] });

describe('startup misconfiguration stops the app with a clear message', () => {
  it('names a policy folder that does not exist', async () => {
    const missing = join(here, 'no-such-folder');
    await expect(start({ policyDir: missing })).rejects.toThrow(`policyDir "${missing}" does not exist`);
    await expect(start({ policyDir: missing })).rejects.toBeInstanceOf(PolicyLoadError);
  });

  it('names a policy folder without any .polar file', async () => {
    const empty = policyFixture('empty');
    await expect(start({ policyDir: empty })).rejects.toThrow(`policyDir "${empty}" contains no .polar file`);
  });

  it('names the file and line of a Polar syntax error', async () => {
    const broken = policyFixture('broken');
    await expect(start({ policyDir: broken })).rejects.toThrow(
      `at line 3, column 17 of file ${join(broken, 'broken.polar')}`,
    );
  });

  it('names a missing policy file', async () => {
    const file = join(here, 'nowhere.polar');
    await expect(start({ policyDir: POLICY_DIR, policyFiles: [file], classes: POLAR_CLASSES })).rejects.toThrow(
      `policy file "${file}" does not exist`,
    );
  });

  it('names both classes of a duplicate Polar class name', async () => {
    await expect(
      start({ policyDir: POLICY_DIR, classes: [User, Expense, { class: Expense, name: 'User' }] }),
    ).rejects.toThrow('duplicate Polar class name "User": class User and class Expense');
  });

  it('refuses a class registered under the built-in HttpRequest name', async () => {
    await expect(start({ policyDir: POLICY_DIR, classes: [{ class: User, name: 'HttpRequest' }] })).rejects.toThrow(
      'duplicate Polar class name "HttpRequest": the built-in HttpRequest and class User',
    );
  });

  it('names a policy that refers to a class nobody registered', async () => {
    await expect(start({ policyDir: POLICY_DIR })).rejects.toThrow(/the policy failed to load: .*User/s);
  });

  it('names the route whose resource resolver is not a provider', async () => {
    @Injectable()
    class UnlistedResolver {
      resolve() {
        return null;
      }
    }
    @Controller('things')
    class ThingsController {
      @Get(':id')
      @Authorize('read', { resource: UnlistedResolver })
      read() {
        return {};
      }
    }
    const started = start({ policyDir: POLICY_DIR, classes: POLAR_CLASSES }, [ThingsController]);
    await expect(started).rejects.toThrow(
      '@Authorize() on ThingsController.read uses the resource resolver UnlistedResolver, which is not a provider',
    );
    await expect(started).rejects.toBeInstanceOf(OsoConfigurationError);
  });
});

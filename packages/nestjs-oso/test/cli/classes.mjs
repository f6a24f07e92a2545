// The e2e domain classes as the CLI sees them: a compiled module of the app (plain JavaScript, no decorators syntax).
import 'reflect-metadata';
import { Controller, Injectable, Module } from '@nestjs/common';
import { PolarClass } from 'nestjs-oso';

export class User {}
export class Organization {}
export class Expense {}

// A decorated class: the CLI registers it under its @PolarClass() name.
export class MembershipEntity {}
PolarClass('Membership')(MembershipEntity);

// Nest's own classes, which an app's module file exports too: not registered.
export class ExpensesController {}
Controller('expenses')(ExpensesController);
export class ExpensesService {}
Injectable()(ExpensesService);
export class AppModule {}
Module({ controllers: [ExpensesController], providers: [ExpensesService] })(AppModule);

// A provider that is also meant for Polar: registered.
export class Clock {}
Injectable()(Clock);
PolarClass()(Clock);

// Not a class: ignored.
export const ADMIN_ROLE = 'admin';

export { PrismaAdapter, prismaAdapter, authorizedWhere, type PrismaAdapterOptions } from './prisma.adapter.js';
export { prismaPolarClasses, type PrismaPolarClassesOptions } from './prisma-polar-classes.js';
export { prismaDatamodel, type PrismaDatamodel, type PrismaField, type PrismaModel } from './prisma-datamodel.js';
export type { PrismaWhere } from './prisma-where.compiler.js';

#!/usr/bin/env bash
# The consumer apps of test/consumers, as users install nestjs-oso: the `npm pack` tarball of the built package into
# fresh apps (copied to a temporary folder, dependencies from the npm registry), each with the README's Quick start
# written in exactly as the README shows it. Each app is built with tsc, checks its policy with the package's CLI,
# type-checks under several module resolutions, and runs its own Jest suite over HTTP (in-process, and `node
# dist/main.js`). Run from the repository root after `npm ci` and `npm run build`; it uses the node and npm on PATH,
# so `PATH=/other/node/bin:$PATH .ci/consumers.sh` runs it on another Node. KEEP_CONSUMERS=1 keeps the apps.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d "${TMPDIR:-/tmp}/nestjs-oso-consumers.XXXXXX")
if [ "${KEEP_CONSUMERS:-}" = 1 ]; then echo "Consumer apps kept in $work"; else trap 'rm -rf "$work"' EXIT; fi
echo "Consumer apps on Node $(node --version), npm $(npm --version)"

test -f packages/nestjs-oso/dist/esm/index.js -a -f packages/nestjs-oso/dist/cjs/index.js ||
  { echo 'Build the package first: npm run build' >&2; exit 1; }
tarball="$work/$(cd packages/nestjs-oso && npm pack --silent --pack-destination "$work" | tail -n 1)"

# The types of every entry point resolve, as CommonJS or ESM as the importer expects, under node10, node16 and bundler.
npx --yes @arethetypeswrong/cli@0.18.5 "$tarball"

# Type-checks the app in $PWD with tsc and extra options: the package's types must resolve in each mode.
typecheck() {
  echo "tsc --noEmit $*"
  npx --no-install tsc --noEmit -p tsconfig.json "$@"
}

for app in esm-nest12-express cjs-nest11-fastify; do
  started=$SECONDS
  echo "::: $app"
  cp -R "test/consumers/$app" "$work/$app"
  cp test/consumers/shared/*.ts "$work/$app/test/"
  node test/consumers/quick-start.mjs README.md "$work/$app"
  (
    cd "$work/$app"
    npm install --no-audit --no-fund --no-package-lock --loglevel=error "$tarball"
    npm run build
    npx --no-install nestjs-oso check policy
    typecheck
    case $app in
      esm-*) typecheck --module preserve --moduleResolution bundler ;;
      cjs-*)
        typecheck --module node16 --moduleResolution node16
        typecheck --module commonjs --moduleResolution node10 --resolvePackageJsonExports false --skipLibCheck false
        ;;
    esac
    npm test
  )
  echo "::: $app passed in $((SECONDS - started)) s"
done

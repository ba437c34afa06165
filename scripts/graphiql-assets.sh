#!/usr/bin/env bash
# graphiql-assets: puts the browser files of carecoord's GraphiQL page into
# services/gateway/internal/graphiql/assets, where go:embed builds them into
# the binary (so the page works with no internet connection). They come from
# the npm packages pinned in web/graphiql/package-lock.json, installed with
# `npm ci` (no install scripts; the npm cache is used when it has them), and
# are copied as they are: nothing here is edited by hand or committed.
#
#   scripts/graphiql-assets.sh            # what `make graphiql` (and build) runs
#   scripts/graphiql-assets.sh --require  # fail, rather than warn, without npm
#
# It does nothing when the files already match the lockfile and this script.
# Without npm it warns and leaves the assets as they are: the binary still
# builds and the page then says how to add them. Files are replaced by
# rename, so a concurrent `go build` embeds either the old file or the new.
set -euo pipefail

require=false
for arg in "$@"; do
	case $arg in
	--require) require=true ;;
	*)
		echo "graphiql-assets: unknown argument $arg (want --require or nothing)" >&2
		exit 2
		;;
	esac
done

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
npmdir=$repo/web/graphiql
out=$repo/services/gateway/internal/graphiql/assets

# The files the page loads, as name-in-assets=path-in-node_modules. Keep in
# step with assetFiles in services/gateway/internal/graphiql/graphiql.go.
files=(
	react.production.min.js=react/umd/react.production.min.js
	react-dom.production.min.js=react-dom/umd/react-dom.production.min.js
	graphiql.min.js=graphiql/graphiql.min.js
	graphiql.min.css=graphiql/graphiql.min.css
)

# The stamp says which lockfile and script made the assets in $out.
stamp=$(cat "$npmdir/package-lock.json" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)
uptodate=true
[[ -f $out/.stamp && $(cat "$out/.stamp") == "$stamp" ]] || uptodate=false
for f in "${files[@]}"; do
	[[ -s $out/${f%%=*} ]] || uptodate=false
done
if $uptodate; then
	exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
	msg="graphiql-assets: npm is not installed, so the GraphiQL page's files (npm packages in web/graphiql) are not in ${out#"$repo"/}; install Node.js 18 or later with npm, then run make graphiql"
	if $require; then
		echo "$msg" >&2
		exit 1
	fi
	echo "$msg (building without them: /graphql in a browser will say so)" >&2
	exit 0
fi

# npm ci empties node_modules first, so only run it when what is installed
# is not what the lockfile pins.
lockhash=$(sha256sum <"$npmdir/package-lock.json" | cut -d' ' -f1)
installed=$npmdir/node_modules/.carecoord-lock-sha256
if [[ ! -f $installed || $(cat "$installed") != "$lockhash" ]]; then
	echo "graphiql-assets: npm ci in web/graphiql" >&2
	if ! (cd "$npmdir" && npm ci --prefer-offline --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null); then
		echo "graphiql-assets: npm ci failed in $npmdir (offline with an empty npm cache? run make graphiql once with a connection to the registry)" >&2
		exit 1
	fi
	echo "$lockhash" >"$installed"
fi

mkdir -p "$out"
for f in "${files[@]}"; do
	name=${f%%=*} src=$npmdir/node_modules/${f#*=}
	if [[ ! -s $src ]]; then
		echo "graphiql-assets: $src is missing or empty: does the pinned version still ship it?" >&2
		exit 1
	fi
	if ! cmp -s "$src" "$out/$name"; then
		# Dot files are not embedded, so the half-written copy never is.
		cp "$src" "$out/.$name.tmp"
		mv -f "$out/.$name.tmp" "$out/$name"
	fi
done
echo "$stamp" >"$out/.stamp"

version() { node -p "require('$npmdir/node_modules/$1/package.json').version" 2>/dev/null || echo '?'; }
echo "graphiql-assets: GraphiQL $(version graphiql), React $(version react) in ${out#"$repo"/}" >&2

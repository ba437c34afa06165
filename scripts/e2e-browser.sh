#!/usr/bin/env bash
# e2e-browser: carecoord's GraphiQL page in headless Chromium
# (TestGraphiQL_in_a_browser in e2e/graphiql_test.go, driven by
# e2e/browser/graphiql.mjs with puppeteer-core). Behind make e2e-browser
# only, not make test: it needs a browser.
#
# Chromium comes from Debian's chromium package, installed if missing (as
# root); set CHROMIUM to use another build. puppeteer-core downloads no
# browser. Arguments go to go test, e.g. scripts/e2e-browser.sh -race.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

find_chromium() {
	local c
	for c in "${CHROMIUM:-}" chromium chromium-browser; do
		if [[ -n $c ]] && command -v "$c" >/dev/null 2>&1; then
			command -v "$c"
			return
		fi
	done
}

chromium=$(find_chromium)
if [[ -z $chromium ]]; then
	if [[ $EUID -ne 0 ]]; then
		echo "e2e-browser: Chromium not found; install it (apt-get install -y chromium) or set CHROMIUM" >&2
		exit 1
	fi
	echo "e2e-browser: installing Chromium (Debian package chromium)" >&2
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
	chromium=$(find_chromium)
	if [[ -z $chromium ]]; then
		echo "e2e-browser: installed chromium but found no chromium on PATH" >&2
		exit 1
	fi
fi
for tool in node npm; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "e2e-browser: $tool is not installed: the page's files and the browser driver come from npm (install Node 18 or later)" >&2
		exit 1
	fi
done

echo "e2e-browser: $("$chromium" --version 2>/dev/null || echo "$chromium")" >&2
E2E_CHROMIUM=$chromium exec "${GO:-go}" test -count=1 -run 'TestGraphiQL_' -v "$@" ./e2e/

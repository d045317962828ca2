#!/usr/bin/env bash
# Issue 7's active-learning simulation (`freshet al-sim`) on the two real
# data sets freshet embeds (demo/*.csv.gz, the same bytes as
# shared/data/*.csv): NOAA weather (the judged run) and Elec2 (reported).
#
# Rerun from the repo root (about 15 minutes on 2 cores):
#   bench/alsim/run.sh            # both data sets
#   bench/alsim/run.sh weather    # one of them
# Knobs: SEEDS=10, STRATEGIES=all.
# Writes bench/alsim/<data>.{txt,json,svg} and docs/al-sim.svg (weather).
set -euo pipefail
cd "$(dirname "$0")/../.."
export GOFLAGS=-mod=mod
ROOT=$(pwd)
OUT=$ROOT/bench/alsim
SEEDS=${SEEDS:-10} STRATEGIES=${STRATEGIES:-all}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
go build -o "$TMP/freshet" ./cmd/freshet

run() { # run NAME FLAGS...: al-sim on demo/NAME.csv.gz
  local name=$1; shift
  gunzip -c "demo/$name.csv.gz" >"$TMP/$name.csv"
  echo "== $(date -u +%FT%TZ) $name: freshet al-sim --data $name.csv --label label $* --seeds $SEEDS --strategies $STRATEGIES"
  (cd "$TMP" && ./freshet al-sim --data "$name.csv" --label label "$@" --seeds "$SEEDS" --strategies "$STRATEGIES" \
    --json-out "$OUT/$name.json" --svg "$OUT/$name.svg") | tee "$OUT/$name.txt"
}

sets=${*:-weather elec2}
for s in $sets; do
  case $s in
  weather) run weather --time seq && cp "$OUT/weather.svg" docs/al-sim.svg ;;
  elec2) run elec2 --time ts --drop date ;; # date is a time index (see shared/data/README.md)
  *) echo "unknown data set $s (weather, elec2)" >&2; exit 2 ;;
  esac
done

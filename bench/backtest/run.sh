#!/usr/bin/env bash
# freshet's policy backtester and its XGBoost peer (bench/backtest/xgb_backtest.py) on
# the two data sets freshet embeds, in one run, so their figures compare (about
# 2 minutes on 2 cores):
#   bench/backtest/run.sh            # both data sets
#   bench/backtest/run.sh weather    # one of them
# Writes bench/backtest/{freshet,xgb}_<data>.txt and prints the every-batch CPU ratio.
# PY=/usr/bin/python3 by default. OMP_WAIT_POLICY=passive by default: with libgomp's
# default (spin, then sleep) XGBoost's CPU-seconds include spin-waiting, which on this
# shared 2-core VM grew with other sessions' load until every_2 measured more CPU than
# every_1. OMP_WAIT_POLICY= (empty) for libgomp's default.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-/usr/bin/python3}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY-passive} # see above
[ -n "$OMP_WAIT_POLICY" ] || unset OMP_WAIT_POLICY
OUT=bench/backtest
BIN=$(mktemp -d)/freshet
go build -o "$BIN" ./cmd/freshet

run() { # run NAME BATCH DROP
  local name=$1 batch=$2 drop=$3
  local go=("$BIN" backtest --data "demo/$name.csv.gz" --label label --drop "$drop" --batch "$batch" --window 4704 --rounds 50)
  local py=("$PY" "$OUT/xgb_backtest.py" --data "demo/$name.csv.gz" --label label --batch "$batch" --drop "$drop")
  { echo "# $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg): freshet backtest ${go[*]:2}"
    "${go[@]}"; } | tee "$OUT/freshet_$name.txt"
  { echo "# $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg): ${py[*]}"
    "${py[@]}"; } | tee "$OUT/xgb_$name.txt"
  local f x
  f=$(awk '$1 == "every:1" {print $6}' "$OUT/freshet_$name.txt")
  x=$(awk '$1 == "every_1" {print $6}' "$OUT/xgb_$name.txt")
  echo "$name: retrain after every batch, training CPU-s: freshet $f, XGBoost $x, ratio $(awk -v f="$f" -v x="$x" 'BEGIN {printf "%.2f", f / x}')" | tee -a "$OUT/freshet_$name.txt"
}

for s in ${*:-elec2 weather}; do
  case $s in
  elec2) run elec2 336 ts,date ;; # a week of half-hours; ts, date are time columns
  weather) run weather 365 seq ;; # a year of days; seq is the day index
  *) echo "unknown data set $s (elec2, weather)" >&2; exit 2 ;;
  esac
done

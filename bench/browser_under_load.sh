#!/bin/bash
# The browser tests N times in a row, no retries, while one CPU core is kept busy.
#
#     bash bench/browser_under_load.sh [N=5]
#
# Prints one line per run (exit code, seconds, pytest's summary); stops nothing on a failure,
# so the count of red runs is the result. Failure pictures and page journals of run i are
# copied to screenshots/under-load/run-i/.
set -u
cd "$(dirname "$0")/.."
runs=${1:-5}
python3 -c "while True: pass" &
load=$!
trap 'kill $load 2>/dev/null' EXIT
red=0
for i in $(seq 1 "$runs"); do
    rm -rf screenshots/failed
    start=$(date +%s)
    .venv/bin/python -m pytest -m browser -q tests/test_browser.py tests/test_accessibility.py \
        > "/tmp/browser-under-load-$i.log" 2>&1
    rc=$?
    [ $rc -ne 0 ] && red=$((red + 1))
    echo "Lauf $i: rc=$rc, $(( $(date +%s) - start )) s, $(tail -1 "/tmp/browser-under-load-$i.log")"
    if [ -d screenshots/failed ]; then
        mkdir -p screenshots/under-load
        rm -rf "screenshots/under-load/run-$i"
        cp -r screenshots/failed "screenshots/under-load/run-$i"
    fi
done
echo "$red von $runs Läufen rot"
[ $red -eq 0 ]

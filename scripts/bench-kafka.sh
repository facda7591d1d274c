#!/usr/bin/env bash
# make bench-kafka: Bookshelf's Kafka layer against a plain C loop over librdkafka, on one `bookshelf broker`,
# in one run. Produce: acknowledged events/s (the layer validates and encodes each CloudEvent; C sends a
# ready-made one). Replay: events/s reading every partition from the beginning (the layer parses, validates
# and decodes each; C only receives). The transport rows are the same work without CloudEvents (records
# only), to show what the librdkafka wrapper itself costs. Replays run twice each, alternating, and the
# better run counts.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/bookshelf}
COUNT=${COUNT:-30000}

work=$(mktemp -d)
broker_pid=
cleanup() {
    if [[ -n $broker_pid ]] && kill -0 "$broker_pid" 2>/dev/null; then
        kill -TERM "$broker_pid"
        wait "$broker_pid" || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

gcc -O2 -Wall -o "$work/bench-kafka-c" scripts/bench-kafka.c $(pkg-config --cflags --libs rdkafka)
python3 -c 'import json,sys; sys.stdout.write(json.dumps(json.load(open(sys.argv[1])), separators=(",", ":")))' \
    contracts/events/bookshelf.book.added/examples/valid/v1-dune.json > "$work/event.json"

mkfifo "$work/broker.out"
"$BIN" broker --partitions 12 --log-level warning > "$work/broker.out" 2> "$work/broker.log" &
broker_pid=$!
read -r line < "$work/broker.out"
bootstrap=${line#broker listening on }
[[ $bootstrap == 127.0.0.1:* ]] || { echo "unexpected broker output: $line" >&2; exit 1; }

field() { awk -v n="$2" '{print $n}' <<<"$1"; }
best() { awk -v a="$(field "$1" 4)" -v b="$(field "$2" 4)" 'BEGIN { print (a > b ? a : b) }'; }

c_produce=$("$work/bench-kafka-c" produce "$bootstrap" bookshelf.events "$COUNT" "$work/event.json")
events_produce=$("$BIN" broker bench produce --bootstrap-servers "$bootstrap" --count "$COUNT")
transport_produce=$("$BIN" broker bench produce --layer transport --bootstrap-servers "$bootstrap" --count "$COUNT")
total=$(( $(field "$c_produce" 2) + $(field "$events_produce" 2) + $(field "$transport_produce" 2) ))
c_replay_1=$("$work/bench-kafka-c" replay "$bootstrap" bookshelf.events "$total")
events_replay_1=$("$BIN" broker bench replay --bootstrap-servers "$bootstrap" 2>/dev/null)
transport_replay_1=$("$BIN" broker bench replay --layer transport --bootstrap-servers "$bootstrap" 2>/dev/null)
c_replay_2=$("$work/bench-kafka-c" replay "$bootstrap" bookshelf.events "$total")
events_replay_2=$("$BIN" broker bench replay --bootstrap-servers "$bootstrap" 2>/dev/null)
transport_replay_2=$("$BIN" broker bench replay --layer transport --bootstrap-servers "$bootstrap" 2>/dev/null)

for run in "$events_replay_1" "$events_replay_2" "$transport_replay_1" "$transport_replay_2"; do
    [[ $(field "$run" 2) == "$total" ]] || { echo "a Swift replay read $(field "$run" 2) of $total events" >&2; exit 1; }
done
if grep -q "dropped" "$work/broker.log"; then
    echo "the embedded broker dropped records during the benchmark; lower COUNT" >&2
    exit 1
fi

c_p=$(field "$c_produce" 4)
c_r=$(best "$c_replay_1" "$c_replay_2")
row() { awk -v name="$1" -v s="$2" -v c="$3" -v goal="$4" 'BEGIN { printf "%-20s %14d %14d %7.0f%% %6s\n", name, s, c, 100 * s / c, goal }'; }
echo "bench-kafka: bookshelf broker (librdkafka $(pkg-config --modversion rdkafka) mock, 12 partitions) at $bootstrap"
echo "produce: $COUNT events per producer, acknowledged; replay: all $total events from the beginning"
printf '%-20s %14s %14s %8s %6s\n' "" "Swift events/s" "C events/s" "ratio" "goal"
row "produce (events)" "$(field "$events_produce" 4)" "$c_p" ">=70%"
row "produce (transport)" "$(field "$transport_produce" 4)" "$c_p" ""
row "replay (events)" "$(best "$events_replay_1" "$events_replay_2")" "$c_r" ">=50%"
row "replay (transport)" "$(best "$transport_replay_1" "$transport_replay_2")" "$c_r" ""

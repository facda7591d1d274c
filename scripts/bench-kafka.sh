#!/usr/bin/env bash
# make bench-kafka: Bookshelf's Kafka layer against a plain C loop over librdkafka, on one `bookshelf broker`,
# in one run. Produce: acknowledged events/s (the layer validates and encodes each CloudEvent; C sends a
# ready-made one). Replay: events/s reading every partition from the beginning (the layer parses, validates
# and decodes each; C only receives). Replays run twice each, alternating, and the better run counts.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/bookshelf}
COUNT=${COUNT:-40000}

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
swift_produce=$("$BIN" broker bench produce --bootstrap-servers "$bootstrap" --count "$COUNT")
total=$(( $(field "$c_produce" 2) + $(field "$swift_produce" 2) ))
c_replay_1=$("$work/bench-kafka-c" replay "$bootstrap" bookshelf.events "$total")
swift_replay_1=$("$BIN" broker bench replay --bootstrap-servers "$bootstrap")
c_replay_2=$("$work/bench-kafka-c" replay "$bootstrap" bookshelf.events "$total")
swift_replay_2=$("$BIN" broker bench replay --bootstrap-servers "$bootstrap")

for run in "$swift_replay_1" "$swift_replay_2"; do
    [[ $(field "$run" 2) == "$total" ]] || { echo "Swift replay read $(field "$run" 2) of $total events" >&2; exit 1; }
done
if grep -q "dropped" "$work/broker.log"; then
    echo "the embedded broker dropped records during the benchmark; lower COUNT" >&2
    exit 1
fi

c_p=$(field "$c_produce" 4); s_p=$(field "$swift_produce" 4)
c_r=$(best "$c_replay_1" "$c_replay_2"); s_r=$(best "$swift_replay_1" "$swift_replay_2")
echo "bench-kafka: bookshelf broker (librdkafka $(pkg-config --modversion rdkafka) mock, 12 partitions) at $bootstrap; $COUNT events per producer"
printf '%-8s %14s %14s %8s %6s\n' "" "Swift events/s" "C events/s" "ratio" "goal"
awk -v s="$s_p" -v c="$c_p" 'BEGIN { printf "%-8s %14d %14d %7.0f%% %5s\n", "produce", s, c, 100 * s / c, ">=70%" }'
awk -v s="$s_r" -v c="$c_r" -v n="$total" 'BEGIN { printf "%-8s %14d %14d %7.0f%% %5s   (%d events)\n", "replay", s, c, 100 * s / c, ">=50%", n }'
